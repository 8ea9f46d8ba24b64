import { startService, stopService, TimeoutError } from "asyncscope";
import { expect } from "chai";
import { EventLog, logged, Probe, recordingLogger, track, useVirtualClock } from "./helpers.js";

describe("services: graceful shutdown timeout", () => {
  const clock = useVirtualClock();

  it("case 71: the graceful shutdown timeout is exceeded", async () => {
    const log = new EventLog();
    const b = new Probe("B", log, { stopMs: 100 });
    const a = new Probe("A", log, { deps: [b], stopMs: 1000, gracefulMs: 300 });
    await startService(a);
    log.clear();

    const stopped = await clock.settle(stopService(a), 400, log);

    expect(log.timed).to.deep.equal([
      "A:stop:begin 0",
      "A:stop:aborted 300",
      "B:stop:begin 300",
      "B:stop:end 400",
    ]);
    expect(stopped.at).to.equal(400);
    expect(stopped.error).to.be.instanceOf(TimeoutError);
    expect((stopped.error as TimeoutError).name).to.equal("TimeoutError");
    expect((stopped.error as TimeoutError).timeoutMs).to.equal(300);
    expect((stopped.error as Error).message).to.contain("Service A");
    expect(a.stopSignal!.aborted).to.equal(true);
    expect(a.stopSignal!.reason).to.equal(stopped.error);
    expect([a.running, b.running]).to.deep.equal([false, false]);
    expect(clock.countTimers()).to.equal(0);
  });

  it("case 71 variant: with no override the timeout is 10 000 ms; a 9 900 ms stop succeeds", async () => {
    const log = new EventLog();
    const a = new Probe("A", log, { stopMs: 9900, ignoreSignals: true });
    expect(a.gracefulShutdownTimeoutMs).to.equal(10_000);
    await startService(a);

    const stopped = await clock.settle(stopService(a), 9900, log);

    expect(stopped).to.deep.equal({ settled: true, at: 9900, value: undefined });
    expect(a.stopSignal!.aborted).to.equal(false);
    expect(clock.countTimers()).to.equal(0);
  });

  it("case 71 variant: with no override the timeout is 10 000 ms; a 10 100 ms stop rejects with TimeoutError", async () => {
    const log = new EventLog();
    const logger = recordingLogger();
    const b = new Probe("B", log);
    const a = new Probe("A", log, { deps: [b], stopMs: 10_100, ignoreSignals: true });
    a.logger = logger;
    await startService(a);
    log.clear();

    const { result: stopped, done } = track(stopService(a), log);
    await clock.tickAsync(10_000);
    expect(a.stopSignal!.aborted).to.equal(true);
    expect(stopped.settled).to.equal(false);
    await clock.tickAsync(100);
    await done;

    // The library waited for the cancelled stop() to settle before stopping B (SEMANTICS 9.7).
    expect(log.timed).to.deep.equal(["A:stop:begin 0", "A:stop:end 10100", "B:stop 10100"]);
    expect(stopped.at).to.equal(10_100);
    expect(stopped.error).to.be.instanceOf(TimeoutError);
    expect((stopped.error as TimeoutError).timeoutMs).to.equal(10_000);
    expect(logged(logger)).to.deep.equal([]);
    expect(clock.countTimers()).to.equal(0);
  });

  it("waits at most cancelTimeoutMs for a stop() that ignores its signal, reports it stuck and stops the dependencies", async () => {
    const log = new EventLog();
    const logger = recordingLogger();
    const b = new Probe("B", log);
    const a = new Probe("A", log, { deps: [b], stopMs: 60_000, ignoreSignals: true, gracefulMs: 300 });
    a.logger = logger;
    await startService(a);
    log.clear();

    const stopped = await clock.settle(stopService(a), 1300, log);

    expect(log.timed).to.deep.equal(["A:stop:begin 0", "B:stop 1300"]);
    expect(stopped.error).to.be.instanceOf(TimeoutError);
    expect(logged(logger)).to.deep.equal([
      ["warn", "Service A: stop() still running 1000 ms after it was cancelled; no longer waiting for it"],
    ]);
    expect(b.running).to.equal(false);
    clock.runAll();
  });

  it("logs an error that a stop() throws after it was cancelled, and still rejects with the TimeoutError", async () => {
    const log = new EventLog();
    const logger = recordingLogger();
    const late = new Error("late");
    const a = new Probe("A", log, { stopMs: 500, gracefulMs: 100 });
    a.logger = logger;
    a.stop = async (signal: AbortSignal) => {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      throw late;
    };
    await startService(a);

    const stopped = await clock.settle(stopService(a), 100, log);

    expect(stopped.error).to.be.instanceOf(TimeoutError);
    expect(logged(logger)).to.deep.equal([
      ["warn", "Service A: stop() threw after it was cancelled: Error: late", late],
    ]);
  });

  it("bounds each service's own stop separately", async () => {
    const log = new EventLog();
    const b = new Probe("B", log, { stopMs: 250, gracefulMs: 300 });
    const a = new Probe("A", log, { deps: [b], stopMs: 250, gracefulMs: 300 });
    await startService(a);
    log.clear();

    const stopped = await clock.settle(stopService(a), 500, log);

    expect(stopped).to.deep.equal({ settled: true, at: 500, value: undefined });
    expect(log.timed).to.deep.equal([
      "A:stop:begin 0",
      "A:stop:end 250",
      "B:stop:begin 250",
      "B:stop:end 500",
    ]);
  });
});
