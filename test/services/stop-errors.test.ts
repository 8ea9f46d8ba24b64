import { startService, stopService } from "asyncscope";
import { expect } from "chai";
import { EventLog, Probe, rejectionOf, wait } from "./helpers.js";

describe("services: stopping runs every stop and combines the errors", () => {
  it("rethrows a single stop error as itself and still stops the dependencies", async () => {
    const log = new EventLog();
    const EA = new Error("EA");
    const x = new Probe("X", log);
    const a = new Probe("A", log, { deps: [x], stopError: EA });
    await startService(a);
    expect(await rejectionOf(stopService(a))).to.equal(EA);
    expect(log.events).to.deep.equal(["X:start", "A:start", "A:stop", "X:stop"]);
    expect([a.running, x.running]).to.deep.equal([false, false]);
  });

  it("combines several stop errors into an AggregateError in the order they were thrown", async () => {
    const log = new EventLog();
    const [EA, EB, EC, ED] = ["EA", "EB", "EC", "ED"].map((m) => new Error(m));
    // B and C stop in parallel; C throws first.
    const b = new Probe("B", log, { stopMs: 20, stopError: EB });
    const c = new Probe("C", log, { stopMs: 10, stopError: EC });
    const d = new Probe("D", log, { stopError: ED });
    const a = new Probe("A", log, { deps: [d, [b, c]], stopError: EA });
    await startService(a);

    const error = await rejectionOf(stopService(a));

    expect(error).to.be.instanceOf(AggregateError);
    expect((error as AggregateError).errors).to.deep.equal([EA, EC, EB, ED]);
    expect((error as Error).message).to.contain("4 errors in the stop of A");
    expect([a, b, c, d].map((s) => s.stops)).to.deep.equal([1, 1, 1, 1]);
  });

  it("coalesces concurrent stopService calls into one stop with one outcome", async () => {
    const log = new EventLog();
    const EA = new Error("EA");
    const a = new Probe("A", log, { stopMs: 10, stopError: EA });
    await startService(a);
    const results = await Promise.all(
      [stopService(a), stopService(a), a[Symbol.asyncDispose]()].map(rejectionOf),
    );
    expect(results).to.deep.equal([EA, EA, EA]);
    expect(a.stops).to.equal(1);
  });

  it("is a no-op on a service that was never started, and on one already stopped", async () => {
    const log = new EventLog();
    const a = new Probe("A", log);
    await stopService(a);
    await startService(a);
    await stopService(a);
    await stopService(a);
    expect(log.events).to.deep.equal(["A:start", "A:stop"]);
  });

  it("counts each startService: a service started twice runs until it is stopped twice", async () => {
    const log = new EventLog();
    const d = new Probe("D", log);
    const a = new Probe("A", log, { deps: [d] });
    expect(await startService(a)).to.equal(a);
    expect(await startService(a)).to.equal(a);
    expect([a.starts, d.starts]).to.deep.equal([1, 1]);
    await stopService(a);
    expect(a.running).to.equal(true);
    await stopService(a);
    expect(log.events).to.deep.equal(["D:start", "A:start", "A:stop", "D:stop"]);
  });

  it("does not stop a service that only runs as somebody's dependency", async () => {
    const log = new EventLog();
    const d = new Probe("D", log);
    const a = new Probe("A", log, { deps: [d] });
    await startService(a);
    await stopService(d);
    expect(d.running).to.equal(true);
    await stopService(a);
    expect(d.running).to.equal(false);
  });

  it("stopService during a start waits for the start, then stops", async () => {
    const log = new EventLog();
    const a = new Probe("A", log, { onStart: () => wait(10) });
    const started = startService(a);
    await stopService(a);
    expect(await started).to.equal(a);
    expect(a.running).to.equal(false);
    expect(log.events).to.deep.equal(["A:start", "A:stop"]);
  });
});
