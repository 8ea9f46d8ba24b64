import { CancelledError, startService, stopService } from "asyncscope";
import { expect } from "chai";
import { EventLog, logged, Probe, recordingLogger, rejectionOf, track, useVirtualClock } from "./helpers.js";

describe("services: failed starts", () => {
  const clock = useVirtualClock();

  it("stops the dependencies already started, in reverse, and rejects with the error itself", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const d1 = new Probe("D1", log);
    const d2 = new Probe("D2", log);
    const bad = new Probe("Bad", log, { startError: E });
    const d3 = new Probe("D3", log);
    const s = new Probe("S", log, { deps: [d1, d2, bad, d3] });

    expect(await rejectionOf(startService(s))).to.equal(E);

    expect(log.events).to.deep.equal(["D1:start", "D2:start", "Bad:start", "D2:stop", "D1:stop"]);
    expect([d3.starts, s.starts, bad.stops, s.stops]).to.deep.equal([0, 0, 0, 0]);
    expect([d1, d2, bad, d3, s].some((x) => x.running)).to.equal(false);
  });

  it("does not call the failed service's own stop(), but stops its dependencies", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const d = new Probe("D", log);
    const s = new Probe("S", log, { deps: [d], startError: E });
    expect(await rejectionOf(startService(s))).to.equal(E);
    expect(log.events).to.deep.equal(["D:start", "S:start", "D:stop"]);
  });

  it("leaves every count consistent: a shared dependency stays with its other user, and a later start works", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const shared = new Probe("Shared", log);
    const other = new Probe("Other", log, { deps: [shared] });
    const flaky = new Probe("Flaky", log, { startError: E });
    const s = new Probe("S", log, { deps: [shared, flaky] });

    await startService(other);
    expect(await rejectionOf(startService(s))).to.equal(E);
    expect(shared.running).to.equal(true);

    flaky.options.startError = undefined;
    await startService(s);
    await stopService(other);
    expect(shared.running).to.equal(true);
    await stopService(s);
    expect(shared.running).to.equal(false);
    expect(log.events).to.deep.equal([
      "Shared:start",
      "Other:start",
      "Flaky:start",
      "Flaky:start",
      "S:start",
      "Other:stop",
      "S:stop",
      "Flaky:stop",
      "Shared:stop",
    ]);
    expect([shared.starts, shared.stops]).to.deep.equal([1, 1]);
  });

  it("in a parallel group, aborts the siblings still starting and stops the siblings that finished", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const bad = new Probe("Dbad", log, { startMs: 10, startError: E });
    const fast = new Probe("Dfast", log, { startMs: 5 });
    const slow = new Probe("Dslow", log, { startMs: 200 });
    const later = new Probe("Later", log);
    const s = new Probe("S", log, { deps: [[bad, fast, slow], later] });

    const started = await clock.settle(startService(s), 10, log);

    expect(started.error).to.equal(E);
    expect(started.at).to.equal(10);
    expect(log.timed).to.deep.equal([
      "Dbad:start:begin 0",
      "Dfast:start:begin 0",
      "Dslow:start:begin 0",
      "Dfast:start:end 5",
      "Dslow:start:aborted 10",
      "Dfast:stop 10",
    ]);
    expect(slow.startSignal!.aborted).to.equal(true);
    expect(slow.startSignal!.reason).to.be.instanceOf(CancelledError);
    expect((slow.startSignal!.reason as Error).message).to.contain("S's dependency Dbad failed: Error: E");
    expect([later.starts, s.starts, slow.stops, bad.stops]).to.deep.equal([0, 0, 0, 0]);
  });

  it("stops a sibling whose start() ignores its aborted signal once it resolves, and waits at most cancelTimeoutMs", async () => {
    const log = new EventLog();
    const logger = recordingLogger();
    const E = new Error("E");
    const bad = new Probe("Dbad", log, { startMs: 10, startError: E });
    const stubborn = new Probe("Dstub", log, { startMs: 2000, ignoreSignals: true, cancelMs: 500 });
    stubborn.logger = logger;
    const s = new Probe("S", log, { deps: [[bad, stubborn]] });

    const started = await clock.settle(startService(s), 510, log);
    expect(started.error).to.equal(E);
    expect(started.at).to.equal(510);
    expect(logged(logger)).to.deep.equal([
      [
        "warn",
        "Service Dstub: start() still running 500 ms after it was cancelled; no longer waiting for it",
      ],
    ]);

    await clock.tickAsync(1490);
    expect(log.timed).to.deep.equal([
      "Dbad:start:begin 0",
      "Dstub:start:begin 0",
      "Dstub:start:end 2000",
      "Dstub:stop 2000",
    ]);
    expect(stubborn.running).to.equal(false);
    // Once it has wound down it can start again.
    stubborn.options.startMs = undefined;
    await startService(stubborn);
    expect(stubborn.running).to.equal(true);
  });

  it("rejects with the start error first and the cleanup errors after it", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const D1 = new Error("D1");
    const D2 = new Error("D2");
    const s = new Probe("S", log, {
      deps: [new Probe("A", log, { stopError: D1 }), new Probe("B", log, { stopError: D2 })],
      startError: E,
    });
    const error = await rejectionOf(startService(s));
    expect(error).to.be.instanceOf(AggregateError);
    expect((error as AggregateError).errors).to.deep.equal([E, D2, D1]);
    expect(log.events).to.deep.equal(["A:start", "B:start", "S:start", "B:stop", "A:stop"]);
  });

  it("every waiter of a failing shared dependency receives the same error object", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const shared = new Probe("Shared", log, { startMs: 10, startError: E });
    const a = new Probe("A", log, { deps: [shared] });
    const b = new Probe("B", log, { deps: [shared] });
    const results = [a, b].map((s) => track(startService(s), log));
    await clock.tickAsync(10);
    await Promise.all(results.map((r) => r.done));
    expect(results.map((r) => r.result.error)).to.deep.equal([E, E]);
    expect(shared.starts).to.equal(1);
  });

  it("keeps starting a shared dependency another stack still waits for when one stack gives up", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const shared = new Probe("Shared", log, { startMs: 100 });
    const bad = new Probe("Bad", log, { startMs: 10, startError: E });
    const a = new Probe("A", log, { deps: [[shared, bad]] });
    const b = new Probe("B", log, { deps: [shared] });
    const ra = track(startService(a), log);
    const rb = track(startService(b), log);
    await clock.tickAsync(100);
    await Promise.all([ra.done, rb.done]);
    expect(ra.result.error).to.equal(E);
    expect(rb.result.value).to.equal(b);
    expect(shared.startSignal!.aborted).to.equal(false);
    expect(log.events).to.deep.equal([
      "Shared:start:begin",
      "Bad:start:begin",
      "Shared:start:end",
      "B:start",
    ]);
    await stopService(b);
    expect(shared.running).to.equal(false);
  });

  it("does not start a dependency again in the same startService call after its start failed", async () => {
    // The smallest counterexample of the invariants property: B reaches Bad while Bad's failed start is
    // still being wound down, before the failure has reached S's parallel group and aborted B.
    const log = new EventLog();
    const logger = recordingLogger();
    const E = new Error("E");
    const a = new Probe("A", log, { logger });
    const bad = new Probe("Bad", log, { startError: E, logger });
    const b = new Probe("B", log, { deps: [a, bad], logger });
    const s = new Probe("S", log, { deps: [a, [bad, b]], logger });

    expect(await rejectionOf(startService(s))).to.equal(E);

    expect(log.events).to.deep.equal(["A:start", "Bad:start", "A:stop"]);
    expect(logged(logger)).to.deep.equal([]);
    expect([bad.starts, b.starts, s.starts, a.stops]).to.deep.equal([1, 0, 0, 1]);
    expect([a, bad, b, s].some((x) => x.running)).to.equal(false);

    // The rule holds within one call: a later call starts it afresh.
    log.clear();
    bad.options.startError = undefined;
    await startService(s);
    await stopService(s);
    expect(log.events).to.deep.equal([
      "A:start",
      "Bad:start",
      "B:start",
      "S:start",
      "S:stop",
      "B:stop",
      "Bad:stop",
      "A:stop",
    ]);
    expect(logged(logger)).to.deep.equal([]);
  });

  it("gives a dependent that reaches a failed dependency later in the same call that failure at once", async () => {
    // X's failure takes 50 ms to reach S (X stops C first); B reaches Bad at 20 ms, after Bad's failed
    // start is over and before S's group aborts B. B fails with Bad's error and stops what it started.
    const log = new EventLog();
    const logger = recordingLogger();
    const E = new Error("E");
    const c = new Probe("C", log, { stopMs: 50, logger });
    const bad = new Probe("Bad", log, { startError: E, logger });
    const x = new Probe("X", log, { deps: [c, bad], logger });
    const a = new Probe("A", log, { startMs: 20, logger });
    const b = new Probe("B", log, { deps: [a, bad], logger });
    const s = new Probe("S", log, { deps: [[x, b]], logger });

    const started = await clock.settle(startService(s), 50, log);

    expect(started.error).to.equal(E);
    expect(started.at).to.equal(50);
    expect(log.timed).to.deep.equal([
      "C:start 0",
      "A:start:begin 0",
      "Bad:start 0",
      "C:stop:begin 0",
      "A:start:end 20",
      "A:stop 20",
      "C:stop:end 50",
    ]);
    expect(logged(logger)).to.deep.equal([]);
    expect([bad.starts, x.starts, b.starts, s.starts]).to.deep.equal([1, 0, 0, 0]);
    expect([a, bad, b, c, x, s].some((y) => y.running)).to.equal(false);
  });

  it("does not report a sibling's own start failure as late when it failed before its group gave up", async () => {
    // Also found by the invariants property: N2's start() fails in the same turn as N0's, but the
    // group's abort, caused by N0, is handled first. N2 honoured its signal: nothing goes to the logger.
    const log = new EventLog();
    const logger = recordingLogger();
    const E0 = new Error("E0");
    const n1 = new Probe("N1", log, { logger });
    const n0 = new Probe("N0", log, { startError: E0, logger });
    const n2 = new Probe("N2", log, { deps: [n1], startError: new Error("E2"), logger });
    const s = new Probe("S", log, { deps: [n1, [n0, n2]], logger });

    expect(await rejectionOf(startService(s))).to.equal(E0);

    expect(log.events).to.deep.equal(["N1:start", "N0:start", "N2:start", "N1:stop"]);
    expect(n2.startSignal!.aborted).to.equal(true);
    expect(logged(logger)).to.deep.equal([]);
  });

  it("logs a start failure that comes after the start was cancelled", async () => {
    const log = new EventLog();
    const logger = recordingLogger();
    const E = new Error("E");
    const late = new Error("late");
    const bad = new Probe("Dbad", log, { startMs: 10, startError: E, logger });
    const stubborn = new Probe("Dstub", log, { startMs: 100, ignoreSignals: true, startError: late, logger });
    const s = new Probe("S", log, { deps: [[bad, stubborn]], logger });

    const started = await clock.settle(startService(s), 100, log);

    expect(started.error).to.equal(E);
    expect(started.at).to.equal(100);
    expect(logged(logger)).to.deep.equal([
      ["warn", "Service Dstub: its start failed after it was cancelled: Error: late", late],
    ]);
  });
});
