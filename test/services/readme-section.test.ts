// docs/readme/services.md is spliced into README.md; until then, check its example here: the block after
// the marker must be examples/services.ts verbatim, and the compiled example must print the stack's story.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../../../", import.meta.url));

describe("services: README section", () => {
  it("shows examples/services.ts verbatim after its marker", () => {
    const section = readFileSync(`${root}docs/readme/services.md`, "utf8");
    const block = /<!-- example: examples\/services\.ts -->\n```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).to.equal(readFileSync(`${root}examples/services.ts`, "utf8"));
  });

  it("runs the example: parallel start, reverse stop, and a crash that rejects runService", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [`${root}build/examples/services.js`], {
      cwd: root,
      timeout: 30_000,
    });
    expect(stdout.trim().split("\n")).to.deep.equal([
      "cache: warmed",
      "database: connected",
      "api: listening",
      "running: api true, database true",
      "api: closed",
      "database: closed",
      "cache: flushed",
      "database: connected",
      "worker: stopped",
      "database: closed",
      "runService rejected: queue connection lost",
    ]);
  });
});
