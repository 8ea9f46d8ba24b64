import { CancelledError, runService, startService, stopService } from "asyncscope";
import { expect } from "chai";
import {
  EventLog,
  logged,
  Probe,
  recordingLogger,
  rejectionOf,
  track,
  untilAborted,
  useVirtualClock,
  wait,
} from "./helpers.js";

/** A task that runs until cancelled and logs `label` then. */
function forever(log: EventLog, label: string) {
  return async (signal: AbortSignal): Promise<void> => {
    try {
      await untilAborted(signal);
    } finally {
      log.add(label);
    }
  };
}

describe("services: background tasks", () => {
  const clock = useVirtualClock();

  it("case 72: a background-task crash brings down the whole stack, in stop order", async () => {
    const log = new EventLog();
    const logger = recordingLogger();
    const E = new Error("E");
    const c = new Probe("C", log, {
      onStart: (self) =>
        self.addTask(async () => {
          await wait(100);
          throw E;
        }),
    });
    const b = new Probe("B", log, {
      deps: [c],
      onStart: (self) => self.addTask(forever(log, "B.bg:cancelled")),
    });
    const a = new Probe("A", log, { deps: [b] });
    for (const s of [a, b, c]) s.logger = logger;

    const run = track(runService(a), log);
    await clock.tickAsync(0);
    expect(log.events).to.deep.equal(["C:start", "B:start", "A:start"]);
    log.clear();
    await clock.tickAsync(100);
    await run.done;

    expect(log.timed).to.deep.equal(["A:stop 100", "B:stop 100", "B.bg:cancelled 100", "C:stop 100"]);
    expect(run.result.error).to.equal(E);
    expect(run.result.at).to.equal(100);
    expect([a.running, b.running, c.running]).to.deep.equal([false, false, false]);
    expect(await Promise.all([a, b, c].map((s) => rejectionOf(s.wait())))).to.deep.equal([E, E, E]);
    expect(logged(logger)).to.deep.equal([]);
  });

  it("case 75: background tasks are cancelled and awaited after the service's own stop", async () => {
    const log = new EventLog();
    let cancels = 0;
    const s = new Probe("S", log, {
      onStart: (self) =>
        self.addTask(async (signal) => {
          try {
            await untilAborted(signal);
          } catch (reason) {
            cancels++;
            await wait(30);
            log.add("S.bg:cancelled");
            throw reason;
          }
        }),
    });
    await startService(s);
    log.clear();

    const stopped = await clock.settle(stopService(s), 30, log);

    expect(log.timed).to.deep.equal(["S:stop 0", "S.bg:cancelled 30"]);
    expect(cancels).to.equal(1);
    expect(stopped).to.deep.equal({ settled: true, at: 30, value: undefined });
  });

  it("a task that returns normally changes nothing", async () => {
    const log = new EventLog();
    const s = new Probe("S", log, { onStart: (self) => self.addTask(async () => wait(10)) });
    await startService(s);
    await clock.tickAsync(50);
    expect(s.running).to.equal(true);
    await stopService(s);
    expect(log.events).to.deep.equal(["S:start", "S:stop"]);
  });

  it("gives a task handle with a name, done, a signal, cancel() and its result", async () => {
    const log = new EventLog();
    const s = new Probe("S", log);
    await startService(s);
    const answer = s.addTask(async function answer() {
      await wait(10);
      return 42;
    });
    const anonymous = s.addTask(async (signal) => untilAborted(signal));
    expect(answer.name).to.equal("S.answer");
    expect(anonymous.name).to.equal("S task #2");
    expect(answer.done).to.equal(false);
    await clock.tickAsync(10);
    expect(await answer).to.equal(42);
    expect(answer.done).to.equal(true);

    anonymous.cancel();
    anonymous.cancel(new Error("second reason is ignored"));
    const reason = await rejectionOf(anonymous);
    expect(reason).to.be.instanceOf(CancelledError);
    expect(anonymous.signal.reason).to.equal(reason);
    expect(s.running).to.equal(true);
    await stopService(s);
  });

  it("a task whose handle was awaited before it failed hands its error to the awaiter and crashes nothing", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const s = new Probe("S", log);
    await startService(s);
    const task = s.addTask(async () => {
      await wait(10);
      throw E;
    });
    const awaited = rejectionOf(task);
    await clock.tickAsync(10);
    expect(await awaited).to.equal(E);
    expect(s.running).to.equal(true);
    await stopService(s);
    await s.wait();
  });

  it("logs an error a task throws while being cancelled, and the stop still resolves", async () => {
    const log = new EventLog();
    const logger = recordingLogger();
    const oops = new Error("oops");
    const s = new Probe("S", log, {
      onStart: (self) =>
        self.addTask(async (signal) => {
          await untilAborted(signal).catch(() => undefined);
          throw oops;
        }),
    });
    s.logger = logger;
    await startService(s);
    await stopService(s);
    expect(logged(logger)).to.deep.equal([
      ["warn", "S task #1 threw while being cancelled: Error: oops", oops],
    ]);
    await s.wait();
  });

  it("reports a task that ignores cancellation as stuck after cancelTimeoutMs and stops the dependencies", async () => {
    const log = new EventLog();
    const logger = recordingLogger();
    const d = new Probe("D", log);
    const s = new Probe("S", log, {
      deps: [d],
      cancelMs: 200,
      onStart: (self) => self.addTask(async () => wait(5000)),
    });
    s.logger = logger;
    await startService(s);
    log.clear();

    const stopped = await clock.settle(stopService(s), 200, log);

    expect(log.timed).to.deep.equal(["S:stop 0", "D:stop 200"]);
    expect(stopped.error).to.equal(undefined);
    expect(logged(logger)).to.deep.equal([
      ["warn", "Service S: S task #1 still running 200 ms after it was cancelled; no longer waiting for it"],
    ]);
    await clock.tickAsync(5000);
  });

  it("logs a crash that nobody waits for, once, naming the service", async () => {
    const log = new EventLog();
    const logger = recordingLogger();
    const E = new Error("E");
    const c = new Probe("C", log, {
      onStart: (self) => self.addTask(async () => wait(10).then(() => Promise.reject(E))),
    });
    c.logger = logger;
    const a = new Probe("A", log, { deps: [c] });
    await startService(a);
    await clock.tickAsync(10);

    expect(log.events).to.deep.equal(["C:start", "A:start", "A:stop", "C:stop"]);
    expect(logged(logger)).to.deep.equal([
      ["error", "Service C: a background task crashed; stopped A: Error: E", E],
    ]);
    // The later wait() still reports it, and stopping the crashed stack is a no-op.
    expect(await rejectionOf(a.wait())).to.equal(E);
    await stopService(a);
  });

  it("a crash in a dependency shared by two stacks stops both of them", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const shared = new Probe("Shared", log, {
      onStart: (self) => self.addTask(async () => wait(10).then(() => Promise.reject(E))),
    });
    const a1 = new Probe("A1", log, { deps: [shared] });
    const a2 = new Probe("A2", log, { deps: [shared] });
    await startService(a1);
    await startService(a2);
    const waits = [a1.wait(), a2.wait()].map(rejectionOf);
    log.clear();
    await clock.tickAsync(10);

    expect(await Promise.all(waits)).to.deep.equal([E, E]);
    expect(log.events).to.deep.equal(["A1:stop", "A2:stop", "Shared:stop"]);
  });

  it("a crash of a running dependency while a later sibling starts aborts that start and fails the stack's start", async () => {
    const log = new EventLog();
    const E = new Error("E");
    const early = new Probe("Early", log, {
      onStart: (self) => self.addTask(async () => wait(50).then(() => Promise.reject(E))),
    });
    const slow = new Probe("Slow", log, { startMs: 1000 });
    const a = new Probe("A", log, { deps: [early, slow] });

    const started = await clock.settle(startService(a), 50, log);

    expect(started.error).to.equal(E);
    expect(started.at).to.equal(50);
    expect(log.timed).to.deep.equal([
      "Early:start 0",
      "Slow:start:begin 0",
      "Slow:start:aborted 50",
      "Early:stop 50",
    ]);
    expect([a.starts, a.stops, slow.stops]).to.deep.equal([0, 0, 0]);
    expect([a.running, early.running, slow.running]).to.deep.equal([false, false, false]);
  });

  it("a crash in the background task of a stopping service is logged", async () => {
    const log = new EventLog();
    const logger = recordingLogger();
    const E = new Error("E");
    const s = new Probe("S", log, {
      stopMs: 100,
      onStart: (self) => self.addTask(async () => wait(50).then(() => Promise.reject(E))),
    });
    s.logger = logger;
    await startService(s);
    const stopped = stopService(s);
    await clock.tickAsync(100);
    await stopped;
    expect(logged(logger)).to.deep.equal([
      ["error", "Service S: a background task failed while stopping: Error: E", E],
    ]);
  });
});
