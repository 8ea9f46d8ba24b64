// Every example in the README and the docs pages is a real file under examples/ that the suite compiles
// and runs: a block that follows `<!-- example: examples/NAME.ts -->` must equal that file, and what the
// compiled file prints must equal the `text` block that follows `<!-- output: examples/NAME.ts -->`.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { exampleBlocks, exampleOutput } from "./support/readme.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const examples = exampleBlocks();

describe("README examples", () => {
  it("every file in examples/ is shown in the README or a docs page", () => {
    const shown = examples.map((e) => e.file).sort();
    const files = readdirSync(`${root}examples`)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => `examples/${f}`)
      .sort();
    expect(shown).to.deep.equal(files);
  });

  for (const { doc, file, block } of examples) {
    it(`${file} is shown verbatim in ${doc}`, () => {
      expect(block.trim()).to.equal(readFileSync(`${root}${file}`, "utf8").trim());
    });
    it(`${file} runs to completion and prints the output ${doc} shows`, async () => {
      const compiled = `${root}build/${file.replace(/\.ts$/, ".js")}`;
      const { stdout } = await run(process.execPath, ["--enable-source-maps", compiled], {
        cwd: root,
        timeout: 60_000,
      });
      expect(stdout).to.equal(exampleOutput(file));
    });
  }
});

describe("npm run example(s)", () => {
  it("runs one example by name and prints its output under a heading", async () => {
    const { stdout } = await run(process.execPath, [`${root}build/scripts/run-examples.js`, "quick-start"], {
      cwd: root,
      timeout: 60_000,
    });
    expect(stdout).to.equal(`== examples/quick-start.ts\n${exampleOutput("examples/quick-start.ts")}`);
  });

  it("names the examples when asked for one that does not exist", async () => {
    const failed = await run(process.execPath, [`${root}build/scripts/run-examples.js`, "nope"], {
      cwd: root,
    }).then(
      () => undefined,
      (err: unknown) => err as { code: number; stderr: string },
    );
    expect(failed?.code).to.equal(2);
    expect(failed?.stderr).to.match(/^No example named nope\. The examples: .*quick-start.*\.\n$/);
  });
});
