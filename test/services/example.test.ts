// The services example (docs/services.md; test/readme.test.ts checks it is shown verbatim) must print the stack's story.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../../../", import.meta.url));

describe("services: the README example", () => {
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
