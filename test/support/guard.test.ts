// The run guard (test/support/guard.cjs) fails a mocha run on what no test can see by itself. Each fixture
// under test/fixtures/guard/ runs in a child mocha with the guard, as `npm test` runs the suite.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const mocha = `${root}node_modules/mocha/bin/mocha.js`;

function runFixture(name: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        mocha,
        "--no-config",
        "--require",
        "./test/support/guard.cjs",
        "--reporter",
        "dot",
        `test/fixtures/guard/${name}.cjs`,
      ],
      {
        cwd: root,
        env: { ...process.env, GUARD_GRACE_MS: "200", GUARD_EXIT_MS: "500" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("the test-run guard", function () {
  this.timeout(60_000);

  it("lets a clean run pass and exit by itself", async () => {
    const { code, output } = await runFixture("clean");
    expect(code, output).to.equal(0);
  });

  const failing: [fixture: string, says: string][] = [
    ["unhandled-rejection", "unhandled rejection: Error: nobody took me"],
    ["uncaught-exception", "thrown from a timer"],
    ["max-listeners", "MaxListenersExceededWarning"],
    [
      "open-handle",
      "handles left open at the end of the run (the process would not exit by itself): TCPServerWrap",
    ],
  ];
  for (const [fixture, says] of failing) {
    it(`fails a run with ${fixture.replace(/-/g, " ")} and says so`, async () => {
      const { code, output } = await runFixture(fixture);
      expect(code, output).to.not.equal(0);
      expect(output).to.include(says);
    });
  }
});
