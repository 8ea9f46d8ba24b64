import { runService, startService, stopService } from "asyncscope";
import { expect } from "chai";
import { getEventListeners } from "node:events";
import { EventLog, Probe, rejectionOf, wait } from "./helpers.js";

describe("services: runService", () => {
  it("starts, waits, and resolves once stopService is called elsewhere", async () => {
    const log = new EventLog();
    const a = new Probe("A", log, { deps: [new Probe("D", log)] });
    const run = runService(a);
    await wait(5);
    expect(a.running).to.equal(true);
    await stopService(a);
    await run;
    expect(log.events).to.deep.equal(["D:start", "A:start", "A:stop", "D:stop"]);
  });

  it("rejects with the start's error", async () => {
    const E = new Error("E");
    expect(await rejectionOf(runService(new Probe("A", new EventLog(), { startError: E })))).to.equal(E);
  });

  it("rejects with a background crash after the whole stack has stopped", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const d = new Probe("D", log);
    const a = new Probe("A", log, {
      deps: [d],
      onStart: (self) => self.addTask(() => wait(5).then(() => Promise.reject(E))),
    });
    expect(await rejectionOf(runService(a))).to.equal(E);
    expect(log.events).to.deep.equal(["D:start", "A:start", "A:stop", "D:stop"]);
  });

  it("combines a crash with the errors of the stop it caused, the crash first", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const ED = new Error("ED");
    const d = new Probe("D", log, { stopError: ED });
    const a = new Probe("A", log, {
      deps: [d],
      onStart: (self) => self.addTask(() => wait(5).then(() => Promise.reject(E))),
    });
    const error = await rejectionOf(runService(a));
    expect(error).to.be.instanceOf(AggregateError);
    expect((error as AggregateError).errors).to.deep.equal([E, ED]);
  });

  it("stops the service when its signal aborts and settles as that stop does", async () => {
    const log = new EventLog();
    const EA = new Error("EA");
    const controller = new AbortController();
    const a = new Probe("A", log, { stopError: EA });
    const run = runService(a, { signal: controller.signal });
    await wait(5);
    controller.abort();
    expect(await rejectionOf(run)).to.equal(EA);
    expect(log.events).to.deep.equal(["A:start", "A:stop"]);
    expect(getEventListeners(controller.signal, "abort")).to.have.length(0);
  });

  it("with a signal that aborts while starting, stops right after the start", async () => {
    const log = new EventLog();
    const controller = new AbortController();
    const a = new Probe("A", log, { onStart: () => wait(5) });
    const run = runService(a, { signal: controller.signal });
    controller.abort();
    await run;
    expect(log.events).to.deep.equal(["A:start", "A:stop"]);
  });

  it("with an already aborted signal, rejects with its reason and starts nothing", async () => {
    const reason = new Error("go away");
    const a = new Probe("A", new EventLog());
    expect(await rejectionOf(runService(a, { signal: AbortSignal.abort(reason) }))).to.equal(reason);
    expect(a.starts).to.equal(0);
  });

  it("with a signal, releases only its own reference to a service others still run", async () => {
    const log = new EventLog();
    const controller = new AbortController();
    const a = await startService(new Probe("A", log));
    const run = runService(a, { signal: controller.signal });
    await wait(1);
    controller.abort();
    await run;
    expect(a.running).to.equal(true);
    await stopService(a);
    expect(log.events).to.deep.equal(["A:start", "A:stop"]);
  });
});
