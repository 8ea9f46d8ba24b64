// runMain with real child processes and real signals; and no leaked timers or listeners after close().
import { expect } from "chai";
import { spawn } from "node:child_process";
import { fixture, runChild as runFixture, type ChildRun } from "../support/child.js";

type Run = ChildRun;

const runChild = (
  name: string,
  args: string[],
  onLine?: (line: string, child: ReturnType<typeof spawn>) => void,
): Promise<Run> => runFixture(fixture(name), args, onLine);

describe("runMain (real processes, real signals)", () => {
  for (const [sig, code] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const) {
    it(`${sig} cancels main, closes the container in order, resolves, and exits with ${code}`, async () => {
      const run = await runChild("run-main-app", ["clean"], (line, child) => {
        if (line === "ready") child.kill(sig);
      });
      expect(run.lines).to.deep.equal([
        "ready",
        "main:cancelled",
        "worker:cancelled",
        "main:request open",
        "repo:dispose",
        "db:dispose:begin",
        "db:dispose:end",
        "runMain resolved exitCode=" + code + " listeners=0",
      ]);
      expect(run.code).to.equal(code);
    });
  }

  it("main that returns closes the container and exits 0 with no listeners left", async () => {
    const run = await runChild("run-main-app", ["finish"]);
    expect(run.lines).to.deep.equal([
      "ready",
      "worker:cancelled",
      "repo:dispose",
      "db:dispose:begin",
      "db:dispose:end",
      "runMain resolved exitCode=undefined listeners=0",
    ]);
    expect(run.code).to.equal(0);
  });

  it("a main error still closes everything, rejects with that error and sets exitCode 1", async () => {
    const run = await runChild("run-main-app", ["main-error"]);
    expect(run.lines.slice(0, 5)).to.deep.equal([
      "ready",
      "worker:cancelled",
      "repo:dispose",
      "db:dispose:begin",
      "db:dispose:end",
    ]);
    expect(run.lines[5]).to.equal("runMain rejected Error: main failed exitCode=1");
    expect(run.code).to.equal(1);
  });

  it("shutdownTimeoutMs rejects with ShutdownTimeoutError naming what still runs", async () => {
    const run = await runChild("run-main-app", ["hang-dispose"], (line, child) => {
      if (line === "ready") child.kill("SIGTERM");
    });
    const last = run.lines.find((l) => l.startsWith("runMain"))!;
    expect(last).to.match(
      /^runMain rejected ShutdownTimeoutError: Shutdown did not finish within 300 ms; still running: .*db \(releasing\)/,
    );
    expect(last).to.match(/exitCode=1$/);
  });

  it("a second signal during shutdown exits at once with the signal's code", async () => {
    let sent = 0;
    const run = await runChild("run-main-app", ["hang-dispose"], (line, child) => {
      if (line === "ready" && sent++ === 0) child.kill("SIGTERM");
      if (line === "db:dispose:begin") child.kill("SIGTERM");
    });
    expect(run.lines).to.include("db:dispose:begin");
    expect(run.lines.some((l) => l.startsWith("runMain"))).to.equal(false);
    expect(run.code).to.equal(143);
  });

  it("after container.close() nothing of ours keeps the event loop alive", async () => {
    const t0 = performance.now();
    const run = await runChild("leak-check", []);
    expect(run.lines).to.deep.equal(["closed"]);
    expect(run.code).to.equal(0);
    expect(performance.now() - t0).to.be.lessThan(5000);
  });
});
