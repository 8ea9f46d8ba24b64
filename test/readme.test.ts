// Every README example is a real file under examples/ that the suite compiles and runs: a block that
// follows `<!-- example: examples/NAME.ts -->` must equal that file, and the compiled file must exit 0.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const readme = readFileSync(`${root}README.md`, "utf8");
const marker = /<!-- example: (examples\/[\w./-]+\.ts) -->\s*```ts\n([\s\S]*?)```/g;
const examples = [...readme.matchAll(marker)].map((m) => ({ file: m[1]!, block: m[2]! }));

describe("README examples", () => {
  for (const { file, block } of examples) {
    it(`${file} is shown verbatim in the README`, () => {
      expect(block.trim()).to.equal(readFileSync(`${root}${file}`, "utf8").trim());
    });
    it(`${file} runs to completion`, async () => {
      const compiled = `${root}build/${file.replace(/\.ts$/, ".js")}`;
      const { stdout } = await run(process.execPath, ["--enable-source-maps", compiled], {
        cwd: root,
        timeout: 60_000,
      });
      expect(stdout).to.be.a("string");
    });
  }
});
