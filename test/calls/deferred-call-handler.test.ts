import { expect } from "chai";
import sinon from "sinon";
import {
  ConfigurationError,
  DeferredCallHandler,
  NotWhitelistedError,
  TimeoutError,
  type Logger,
} from "asyncscope";
import { delay, nextTurn, recordingLogger } from "../support/helpers.js";

/** A handler that records what runs, in order. */
class Recorder extends DeferredCallHandler {
  readonly log: unknown[] = [];
  constructor(logger: Logger = recordingLogger()) {
    super({ logger });
  }
  f(value: unknown): void {
    this.log.push(value);
  }
  a(): void {
    this.log.push("a");
  }
  b(): string {
    this.log.push("b");
    return "b";
  }
}

class Kaboom extends Error {
  override name = "Kaboom";
}

class Lemming extends DeferredCallHandler {
  readonly error = new Kaboom("#high pitched# oh no!");
  kaboom(): never {
    throw this.error;
  }
}

/** The logger's entries as `[level, message]` pairs. */
function lines(logger: ReturnType<typeof recordingLogger>): [string, string][] {
  return logger.entries.map(({ level, msg }) => [level, msg]);
}

/** Let chains of queued microtasks run (twenty rounds) without letting any timer or I/O callback run. */
async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe("DeferredCallHandler", () => {
  let unhandled: sinon.SinonSpy;
  beforeEach(() => {
    unhandled = sinon.spy();
    process.on("unhandledRejection", unhandled);
  });
  afterEach(async () => {
    await nextTurn();
    process.off("unhandledRejection", unhandled);
    expect(unhandled.called, "an unhandled rejection happened").to.equal(false);
  });

  it("case 80: a sync call returns its value and passes arguments through; it runs only inside the processor", async () => {
    const seen: { args: unknown[]; self: unknown; processing: boolean }[] = [];
    let processing = false;
    class Handler extends DeferredCallHandler {
      m(...args: unknown[]): number {
        seen.push({ args, self: this, processing });
        return 42;
      }
    }
    const h = new Handler();

    const direct = h.m("direct");
    expect(direct, "a direct call runs synchronously").to.equal(42);
    expect(seen).to.deep.equal([{ args: ["direct"], self: h, processing: false }]);

    const result = h.sync.m("1", 2, { three: [3] });
    await nextTurn();
    expect(seen, "a sync call waits for the processor").to.have.length(1);

    processing = true;
    const processed = h.process({ forever: true });
    expect(await result).to.equal(42);
    expect(seen[1]).to.deep.equal({ args: ["1", 2, { three: [3] }], self: h, processing: true });
    expect(seen[1]!.self).to.equal(h);
    h.stopProcessing();
    await processed;
  });

  it("case 81: a sync call forwards the error with its identity", async () => {
    const lemming = new Lemming();
    const processing = lemming.process({ forever: true });
    const error = await lemming.sync.kaboom().catch((err: unknown) => err);
    expect(error).to.equal(lemming.error);
    lemming.stopProcessing();
    await processing;
  });

  it("case 82: a sync timeout applies per call and is never sticky", async () => {
    const clock = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      class Slowish extends DeferredCallHandler {
        async aboutRight(): Promise<string> {
          await delay(10);
          return "about right";
        }
        async slow(): Promise<string> {
          await delay(200);
          return "slow";
        }
        fast(): string {
          return "fast";
        }
      }
      const h = new Slowish();
      const processing = h.process({ forever: true });
      const settledAt = (promise: Promise<unknown>) =>
        promise.then(
          (value) => ({ value, at: Date.now() }),
          (error: unknown) => ({ error, at: Date.now() }),
        );

      const step1 = settledAt(h.sync({ timeoutMs: 100 }).aboutRight());
      await clock.tickAsync(10);
      expect(await step1).to.deep.equal({ value: "about right", at: 10 });

      const issued = Date.now();
      const step2 = settledAt(h.sync({ timeoutMs: 50 }).slow());
      await clock.tickAsync(50);
      const timedOut = await step2;
      expect(timedOut.at).to.equal(issued + 50);
      expect(timedOut).to.have.property("error").that.is.instanceOf(TimeoutError);
      const error = (timedOut as { error: TimeoutError }).error;
      expect(error.name).to.equal("TimeoutError");
      expect(error.timeoutMs).to.equal(50);
      expect(error.message).to.equal(
        "Sync call Slowish.slow() timed out after 50 ms while it ran; " +
          "it still runs when processed, and its outcome is discarded.",
      );

      const step3 = settledAt(h.sync.fast());
      await clock.tickAsync(500);
      expect(await step3, "settles after the abandoned slow() finished").to.deep.equal({
        value: "fast",
        at: issued + 200,
      });
      expect(clock.countTimers(), "no timer is left behind").to.equal(0);
      h.stopProcessing();
      await processing;
    } finally {
      clock.restore();
    }
  });

  it("a timed-out call that still waits in the queue runs later; its result is discarded and its error logged", async () => {
    const clock = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const logger = recordingLogger();
      const lemming = new Lemming({ logger });
      const caller = lemming.sync({ timeoutMs: 20 }).kaboom();
      const outcome = caller.catch((err: unknown) => err);
      await clock.tickAsync(20);
      const error = (await outcome) as TimeoutError;
      expect(error).to.be.instanceOf(TimeoutError);
      expect(error.message).to.equal(
        "Sync call Lemming.kaboom() timed out after 20 ms while it waited in the queue " +
          "(no process() is running); it still runs when processed, and its outcome is discarded.",
      );
      expect(lines(logger)).to.deep.equal([]);

      await lemming.process();
      expect(lines(logger)).to.deep.equal([
        ["error", "Sync call Lemming.kaboom() failed: Kaboom: #high pitched# oh no!"],
      ]);
      expect(logger.entries[0]!.rest[0]).to.equal(lemming.error);
      expect(clock.countTimers()).to.equal(0);
    } finally {
      clock.restore();
    }
  });

  it("clears the timeout timer of a call that settles in time", async () => {
    const clock = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const h = new Recorder();
      const call = h.sync({ timeoutMs: 1000 }).b();
      expect(clock.countTimers()).to.equal(1);
      await h.process();
      expect(await call).to.equal("b");
      expect(clock.countTimers()).to.equal(0);
    } finally {
      clock.restore();
    }
  });

  it("rejects a timeout that is not a number >= 0; Infinity means no timeout", async () => {
    const h = new Recorder();
    expect(() => h.sync({ timeoutMs: -1 })).to.throw(ConfigurationError, "timeoutMs");
    expect(() => h.sync({ timeoutMs: Number.NaN })).to.throw(ConfigurationError, "timeoutMs");
    const call = h.sync({ timeoutMs: Infinity }).b();
    await h.process();
    expect(await call).to.equal("b");
  });

  it("case 84: one-way calls return immediately and run only when the processor runs; errors are logged, not thrown", async () => {
    const logger = recordingLogger();
    let executed = false;
    let received: unknown[] = [];
    class Handler extends DeferredCallHandler {
      m(...args: unknown[]): void {
        executed = true;
        received = args;
      }
      kaboom(): void {
        throw new Kaboom("#high pitched# oh no!");
      }
    }
    const h = new Handler({ logger });
    const processing = h.process({ forever: true });

    const r = h.oneway.m("1", 2, { three: [3] });
    expect(r).to.equal(undefined);
    expect(executed).to.equal(false);
    await nextTurn();
    expect(executed).to.equal(true);
    expect(received).to.deep.equal(["1", 2, { three: [3] }]);

    expect(h.oneway.kaboom()).to.equal(undefined);
    await nextTurn();
    expect(lines(logger)).to.deep.equal([
      ["error", "One-way call Handler.kaboom() failed: Kaboom: #high pitched# oh no!"],
    ]);
    expect(logger.entries[0]!.rest[0]).to.be.instanceOf(Kaboom);

    h.stopProcessing();
    await processing;
  });

  it("case 85: FIFO order and the stop sentinel", async () => {
    const h = new Recorder();
    h.oneway.f(0);
    h.oneway.f(1);
    h.oneway.f(2);
    h.stopProcessing();
    h.oneway.f(99);

    await h.process({ forever: true });
    expect(h.log).to.deep.equal([0, 1, 2]);

    await h.process();
    expect(h.log).to.deep.equal([0, 1, 2, 99]);
  });

  it("case 87: a whitelist executes only the listed methods; unlisted calls are dropped", async () => {
    const logger = recordingLogger();
    const h = new Recorder(logger);
    h.oneway.a();
    h.oneway.b();
    h.oneway.a();
    await h.process({ whitelist: ["a"] });
    expect(h.log).to.deep.equal(["a", "a"]);
    expect(lines(logger)).to.deep.equal([
      ["warn", "One-way call Recorder.b() was dropped: the whitelist is [a]"],
    ]);
    await h.process();
    expect(h.log, "b was not re-queued").to.deep.equal(["a", "a"]);

    const processing = h.process({ forever: true, whitelist: ["a"] });
    const error = await h.sync.b().catch((err: unknown) => err);
    expect(error).to.be.instanceOf(NotWhitelistedError);
    expect((error as NotWhitelistedError).method).to.equal("b");
    expect((error as NotWhitelistedError).code).to.equal("ERR_NOT_WHITELISTED");
    expect((error as Error).message).to.include('"b"');
    h.stopProcessing();
    await processing;

    h.oneway.b();
    await h.process({ whitelist: [] });
    expect(h.log, "an empty whitelist runs nothing (hardening class 11)").to.deep.equal(["a", "a"]);
    h.oneway.b();
    await h.process({ whitelist: undefined });
    expect(h.log, "an undefined whitelist filters nothing").to.deep.equal(["a", "a", "b"]);
  });

  it("process() returns at once on an empty queue", async () => {
    const h = new Recorder();
    let processed = false;
    void h.process().then(() => (processed = true));
    await drainMicrotasks();
    expect(processed, "settled before any timer or I/O turn").to.equal(true);
    expect(h.log).to.deep.equal([]);
  });

  it("process() also runs the calls queued while it runs, then returns", async () => {
    class Chain extends Recorder {
      async first(): Promise<void> {
        this.log.push("first");
        await delay(5);
        this.oneway.f("queued during first");
      }
    }
    const h = new Chain();
    h.oneway.first();
    h.oneway.f("second");
    await h.process();
    expect(h.log).to.deep.equal(["first", "second", "queued during first"]);
  });

  it("runs each call after the previous one has settled", async () => {
    class Serial extends DeferredCallHandler {
      readonly log: string[] = [];
      async step(name: string, ms: number): Promise<void> {
        this.log.push(`${name}:begin`);
        await delay(ms);
        this.log.push(`${name}:end`);
      }
    }
    const h = new Serial();
    const calls = [h.sync.step("one", 20), h.sync.step("two", 1)];
    h.oneway.step("three", 1);
    await h.process();
    await Promise.all(calls);
    expect(h.log).to.deep.equal(["one:begin", "one:end", "two:begin", "two:end", "three:begin", "three:end"]);
  });

  it("stopProcessing() without a running processor leaves its marker queued for the next process()", async () => {
    const h = new Recorder();
    h.oneway.f(1);
    h.stopProcessing();
    h.oneway.f(2);
    await h.process();
    expect(h.log, "a marker ends a plain process() too").to.deep.equal([1]);
    await h.process();
    expect(h.log).to.deep.equal([1, 2]);
  });

  it("process({ forever: true }) waits for calls without timers or polling", async () => {
    const clock = sinon.useFakeTimers({ toFake: ["setTimeout", "setInterval", "setImmediate"] });
    try {
      const h = new Recorder();
      let ended = false;
      const processing = h.process({ forever: true }).then(() => (ended = true));
      await drainMicrotasks();
      expect(clock.countTimers()).to.equal(0);
      expect(ended).to.equal(false);

      h.oneway.f(1);
      await drainMicrotasks();
      expect(h.log).to.deep.equal([1]);
      expect(clock.countTimers()).to.equal(0);

      h.stopProcessing();
      await processing;
      expect(ended).to.equal(true);
    } finally {
      clock.restore();
    }
  });

  it("rejects a second concurrent process() with a ConfigurationError; the first one goes on", async () => {
    const h = new Recorder();
    const first = h.process({ forever: true });
    const error = await h.process().catch((err: unknown) => err);
    expect(error).to.be.instanceOf(ConfigurationError);
    expect((error as Error).message).to.equal(
      "Recorder.process() is already running: one process() drains a handler at a time. " +
        "Await the running one, or end it with stopProcessing().",
    );
    expect(await h.sync.b()).to.equal("b");
    h.stopProcessing();
    await first;
    h.oneway.f(1);
    await h.process();
    expect(h.log, "a new process() may start once the first has returned").to.deep.equal(["b", 1]);
  });

  it("rejects a sync call to an unknown method, and logs a one-way one, when processed", async () => {
    const logger = recordingLogger();
    const h = new Recorder(logger);
    const untyped = h.sync as unknown as Record<string, () => Promise<unknown>>;
    const oneway = h.oneway as unknown as Record<string, () => void>;
    const calls = ["nope", "process", "sync", "constructor", "toString", "log"].map((name) =>
      untyped[name]!().catch((err: unknown) => err),
    );
    oneway.nope!();
    await h.process();
    for (const [i, name] of ["nope", "process", "sync", "constructor", "toString", "log"].entries()) {
      const error = (await calls[i]) as ConfigurationError;
      expect(error).to.be.instanceOf(ConfigurationError);
      expect(error.message).to.equal(`Recorder has no method "${name}" that can be deferred.`);
    }
    expect(lines(logger)).to.deep.equal([
      [
        "error",
        'One-way call Recorder.nope() failed: ConfigurationError: Recorder has no method "nope" that can be deferred.',
      ],
    ]);
  });

  it("the sync proxy is not a thenable, so awaiting it queues nothing", async () => {
    const h = new Recorder();
    expect(await Promise.resolve(h.sync)).to.equal(h.sync);
    expect((h.sync as unknown as { then?: unknown }).then).to.equal(undefined);
    expect(() => {
      (h.sync as unknown as Record<string, unknown>).b = 1;
    }).to.throw(TypeError);
    await h.process();
    expect(h.log).to.deep.equal([]);
  });

  it("rejects a whitelist that is not an array of names", async () => {
    const h = new Recorder();
    const error = await h.process({ whitelist: "a" as unknown as string[] }).catch((err: unknown) => err);
    expect(error).to.be.instanceOf(ConfigurationError);
    h.oneway.f(1);
    await h.process();
    expect(h.log, "the rejected process() left no trace").to.deep.equal([1]);
  });

  it("keeps processing when the logger itself throws", async () => {
    const broken: Logger = {
      warn: () => {
        throw new Error("broken logger");
      },
      error: () => {
        throw new Error("broken logger");
      },
    };
    const lemming = new Lemming({ logger: broken });
    lemming.oneway.kaboom();
    const after = lemming.sync.kaboom().catch((err: unknown) => err);
    await lemming.process();
    expect(await after).to.equal(lemming.error);
  });
});
