// Issue 12, fault class 2: every time value is validated or honoured, in one place. A time is a number of
// milliseconds >= 0 (-0 is 0), or Infinity for "never"; any finite value is honoured, also above the
// 2^31-1 ms that setTimeout can count (the library re-arms); NaN, negatives and non-numbers are a
// ConfigurationError at the entry point, with nothing created and no timer left behind.
import { expect } from "chai";
import { getEventListeners } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import sinon from "sinon";
import {
  ConfigurationError,
  Container,
  DeferredCallHandler,
  DisposeTimeoutError,
  Lifetime,
  Service,
  ShutdownTimeoutError,
  TimeoutError,
  runMain,
  scopedService,
  sleep,
  startService,
  stopService,
  type Scope,
} from "asyncscope";
import { delay, nextTurn, propertyOptions, recordingLogger } from "../../support/helpers.js";

/** A drawn value for a failure message: some (an object whose toString is not callable) cannot be printed. */
function shown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The longest delay setTimeout counts; Node (and the fake clock) fire a longer one after 1 ms. */
const MAX_DELAY = 2 ** 31 - 1;
/** How far a value that must never fire (or fire too late to tick to) is watched. */
const WINDOW = 3 * MAX_DELAY;

const quiet = { warn: () => undefined, error: () => undefined };
const noop = (): void => undefined;

type Drawn =
  | { kind: "small"; ms: number } // fires exactly at ms, as before
  | { kind: "huge"; ms: number } // above 2^31-1 and near enough to tick to: fires exactly at ms
  | { kind: "far"; ms: number } // finite, up to Number.MAX_VALUE: does not fire within the window
  | { kind: "never"; ms: number } // Infinity: no timer at all
  | { kind: "invalid"; ms: unknown }; // ConfigurationError, nothing created

const invalidTimes: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(Number.NaN, -Infinity, -1, -5, -Number.MIN_VALUE, -Number.MAX_VALUE),
  fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
  fc.constantFrom("10", "", 10n, null, true, [5], { valueOf: () => 10 }, Symbol("ms"), () => 10, new Date()),
  fc.anything().filter((v) => typeof v !== "number" && v !== undefined),
);

const times: fc.Arbitrary<Drawn> = fc.oneof(
  fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(-0)).map((ms): Drawn => ({ kind: "small", ms })),
  fc
    .oneof(
      fc.constantFrom(MAX_DELAY + 1, 2 ** 32, 3e9),
      fc.integer({ min: MAX_DELAY + 1, max: 6 * MAX_DELAY }),
    )
    .map((ms): Drawn => ({ kind: "huge", ms })),
  fc
    .oneof(
      fc.constantFrom(Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, 1e300),
      fc.double({ min: 6 * MAX_DELAY + 1, max: Number.MAX_VALUE, noNaN: true, noDefaultInfinity: true }),
    )
    .map((ms): Drawn => ({ kind: "far", ms })),
  fc.constant<Drawn>({ kind: "never", ms: Infinity }),
  invalidTimes.map((ms): Drawn => ({ kind: "invalid", ms })),
);

/** One use of an entry point that takes a time. */
interface Site {
  /** The option the error message must name. */
  readonly option: string;
  /** Use the entry point with `ms` (throw or reject as it does); `fired()` tells whether the time ran out. */
  arm(ms: unknown): Promise<{ fired(): boolean }>;
  /** After a rejected value: nothing was created or started. */
  intact(): unknown;
  /** Let everything end and close it. */
  close(): Promise<void>;
}

async function settle(p: Promise<unknown>): Promise<{ ok: boolean; value: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (value) {
    return { ok: false, value };
  }
}

/** Arm `site` with the drawn value and check the rule for its kind on a virtual clock. */
async function checkTime(make: () => Site, d: Drawn): Promise<void> {
  const clock = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
  try {
    const site = make();
    let armed: { fired(): boolean } | undefined;
    let error: unknown;
    try {
      armed = await site.arm(d.ms);
      await nextTurn();
    } catch (err) {
      error = err;
    }
    if (d.kind === "invalid") {
      expect(error, `${site.option}: ${shown(d.ms)}`).to.be.instanceOf(ConfigurationError);
      expect((error as ConfigurationError).code).to.equal("ERR_CONFIG");
      expect((error as Error).message).to.contain(site.option);
      await nextTurn();
      expect(clock.countTimers(), "a timer for a rejected value").to.equal(0);
      await site.intact();
    } else {
      if (error !== undefined) throw error;
      const fired = (): boolean => armed!.fired();
      switch (d.kind) {
        case "small":
          if (d.ms >= 1) {
            await clock.tickAsync(d.ms - 1);
            expect(fired(), `fired before ${d.ms} ms`).to.equal(false);
          }
          await clock.tickAsync(1);
          expect(fired(), `did not fire at ${d.ms} ms`).to.equal(true);
          break;
        case "huge":
          await clock.tickAsync(MAX_DELAY);
          expect(fired(), `${d.ms} fired within 2^31-1 ms`).to.equal(false);
          await clock.tickAsync(d.ms - 1 - MAX_DELAY);
          expect(fired(), `${d.ms} fired early`).to.equal(false);
          await clock.tickAsync(1);
          expect(fired(), `${d.ms} did not fire at its deadline`).to.equal(true);
          break;
        case "far":
          await clock.tickAsync(WINDOW);
          expect(fired(), `${d.ms} fired`).to.equal(false);
          break;
        case "never":
          await clock.tickAsync(WINDOW);
          expect(fired(), "Infinity fired").to.equal(false);
          expect(clock.countTimers(), "a timer for Infinity").to.equal(0);
          break;
      }
    }
    await site.close();
    await nextTurn();
    expect(clock.countTimers(), "a timer left behind").to.equal(0);
  } finally {
    clock.restore();
  }
}

function property(make: () => Site): Promise<void> {
  return fc.assert(
    fc.asyncProperty(times, (d) => checkTime(make, d)),
    propertyOptions(40),
  );
}

/** A container with one child scope, checked for new scopes and instances after a rejected value. */
function world(logger: { warn(...a: unknown[]): void; error(...a: unknown[]): void } = quiet) {
  const c = new Container({ logger, name: "c" });
  const q = c.createScope("q");
  const shape = (): [number, number] => [c.inspect().scopes.length, c.inspect().instances.length];
  const before = shape();
  return {
    c,
    q,
    unchanged: () => expect(shape(), "scopes and instances").to.deep.equal(before),
    close: async () => {
      await q.close().catch(noop);
      await c.close();
    },
  };
}

/** Scope bodies and tasks that end only when cancelled. */
const untilAborted = (s: Scope): Promise<never> =>
  new Promise((_, reject) => s.signal.addEventListener("abort", () => reject(s.signal.reason as Error)));

const sites: Record<string, () => Site> = {
  "scope.timeoutMs = ms": () => {
    const w = world();
    return {
      option: "timeoutMs",
      arm: async (ms) => {
        w.q.timeoutMs = ms as number;
        return { fired: () => w.q.signal.aborted };
      },
      intact: () => {
        expect(w.q.timeoutMs).to.equal(undefined);
        expect(w.q.state).to.equal("open");
        w.unchanged();
      },
      close: w.close,
    };
  },
  "scope.fork({ timeoutMs })": () => {
    const w = world();
    return {
      option: "timeoutMs",
      arm: async (ms) => {
        const f = w.q.fork({ timeoutMs: ms as number });
        return { fired: () => f.signal.aborted };
      },
      intact: w.unchanged,
      close: w.close,
    };
  },
  "scope.withScope(body, { timeoutMs })": () => withScopeSite((w) => w.q),
  "container.withScope(body, { timeoutMs })": () => withScopeSite((w) => w.c),
  "scope.resolve(token, { timeoutMs })": () => {
    const w = world();
    const ctl = new AbortController();
    let created = 0;
    w.c.register(
      "slow",
      {
        useFactory: (ctx) => {
          created++;
          return new Promise((_, reject) =>
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error)),
          );
        },
      },
      { lifetime: Lifetime.Scoped },
    );
    return {
      option: "timeoutMs",
      arm: async (ms) => {
        let outcome: unknown;
        w.q
          .resolve("slow", { timeoutMs: ms as number, signal: ctl.signal })
          .then(noop, (err: unknown) => (outcome = err));
        await nextTurn();
        if (outcome instanceof ConfigurationError) throw outcome;
        return { fired: () => outcome instanceof TimeoutError };
      },
      intact: () => {
        expect(created).to.equal(0);
        expect(getEventListeners(ctl.signal, "abort")).to.have.length(0);
        w.unchanged();
      },
      close: async () => {
        await w.close();
        expect(getEventListeners(ctl.signal, "abort"), "a listener left behind").to.have.length(0);
      },
    };
  },
  "register(..., { keepAliveMs })": () => {
    const c = new Container({ logger: quiet });
    let disposed = 0;
    return {
      option: "keepAliveMs",
      arm: async (ms) => {
        c.register(
          "kept",
          { useFactory: () => ({ dispose: () => void disposed++ }) },
          { lifetime: Lifetime.Shared, keepAliveMs: ms as number },
        );
        const q = c.createScope("q");
        await q.resolve("kept");
        await q.close();
        return { fired: () => disposed === 1 };
      },
      intact: () => expect(c.isRegistered("kept")).to.equal(false),
      close: async () => {
        await c.close();
        if (c.isRegistered("kept")) expect(disposed, "disposed when the container closed").to.equal(1);
      },
    };
  },
  "register(..., { disposeTimeoutMs })": () =>
    disposal((ms) => ({ disposeTimeoutMs: ms }), "disposeTimeoutMs"),
  "new Container({ defaultDisposeTimeoutMs })": () =>
    disposal((ms) => ({ defaultDisposeTimeoutMs: ms }), "defaultDisposeTimeoutMs"),
  "spawn(fn, { cancelTimeoutMs })": () => {
    const logger = recordingLogger();
    const w = world(logger);
    let ran = 0;
    let finish: (() => void) | undefined;
    return {
      option: "cancelTimeoutMs",
      arm: async (ms) => {
        w.q.spawn(
          () => {
            ran++;
            return new Promise<void>((resolve) => (finish = resolve));
          },
          { cancelTimeoutMs: ms as number },
        );
        await nextTurn();
        w.q.cancel();
        return { fired: () => logger.entries.some((e) => e.msg.includes("could not cancel")) };
      },
      intact: async () => {
        await nextTurn();
        expect(ran).to.equal(0);
        w.unchanged();
      },
      close: async () => {
        finish?.();
        await w.close();
      },
    };
  },
  "runMain(main, { shutdownTimeoutMs })": () => {
    const c = new Container({ logger: quiet });
    let finish: (() => void) | undefined;
    c.register(
      "slowToStop",
      { useFactory: () => ({ dispose: () => new Promise<void>((resolve) => (finish = resolve)) }) },
      { lifetime: Lifetime.Singleton },
    );
    let ran = 0;
    let running: Promise<unknown> | undefined;
    const exitCode = process.exitCode;
    return {
      option: "shutdownTimeoutMs",
      arm: async (ms) => {
        let outcome: unknown;
        running = runMain(
          async (s) => {
            ran++;
            await s.resolve("slowToStop");
          },
          { container: c, signals: [], shutdownTimeoutMs: ms as number },
        ).then(noop, (err: unknown) => (outcome = err));
        await nextTurn();
        if (outcome instanceof ConfigurationError) throw outcome;
        return { fired: () => outcome instanceof ShutdownTimeoutError };
      },
      intact: () => {
        expect(ran).to.equal(0);
        expect(c.root.state).to.equal("open");
      },
      close: async () => {
        finish?.();
        await running;
        await c.close();
        process.exitCode = exitCode;
      },
    };
  },
  "h.sync({ timeoutMs })": () => {
    const log: string[] = [];
    class Handler extends DeferredCallHandler {
      m(): string {
        log.push("m");
        return "m";
      }
    }
    const h = new Handler({ logger: recordingLogger() });
    return {
      option: "timeoutMs",
      arm: async (ms) => {
        let outcome: unknown;
        h.sync({ timeoutMs: ms as number })
          .m()
          .then(noop, (err: unknown) => (outcome = err));
        return { fired: () => outcome instanceof TimeoutError };
      },
      intact: async () => {
        await h.process();
        expect(log).to.deep.equal([]);
      },
      close: () => h.process(),
    };
  },
  "sleep(ms, signal)": () => {
    const ctl = new AbortController();
    let sleeping: Promise<unknown> | undefined;
    return {
      option: "ms",
      arm: async (ms) => {
        let woke = false;
        let failed: unknown;
        sleeping = sleep(ms as number, ctl.signal).then(
          () => (woke = true),
          (err: unknown) => (failed = err),
        );
        await nextTurn();
        if (failed !== undefined) throw failed;
        return { fired: () => woke };
      },
      intact: () => expect(getEventListeners(ctl.signal, "abort")).to.have.length(0),
      close: async () => {
        ctl.abort();
        await sleeping;
        expect(getEventListeners(ctl.signal, "abort"), "a listener left behind").to.have.length(0);
      },
    };
  },
  "Service.gracefulShutdownTimeoutMs": () => stoppingService("gracefulShutdownTimeoutMs"),
  "Service.cancelTimeoutMs": () => stoppingService("cancelTimeoutMs"),
};

/** The withScope entry point of a scope or of the container: the same site for both. */
function withScopeSite(owner: (w: ReturnType<typeof world>) => Pick<Scope, "withScope">): Site {
  const w = world();
  let ran = 0;
  return {
    option: "timeoutMs",
    arm: async (ms) => {
      let child: Scope | undefined;
      const p = owner(w).withScope(
        (s) => {
          ran++;
          child = s;
          return untilAborted(s);
        },
        { timeoutMs: ms as number },
      );
      p.catch(noop);
      await nextTurn();
      if (child === undefined) await p;
      return { fired: () => child!.signal.aborted };
    },
    intact: () => {
      expect(ran).to.equal(0);
      w.unchanged();
    },
    close: w.close,
  };
}

/** A scoped instance whose disposal takes until `close()`, bounded by the time under test. */
function disposal(options: (ms: number) => object, option: string): Site {
  let c: Container | undefined;
  let finish: (() => void) | undefined;
  let closing: Promise<unknown> | undefined;
  return {
    option,
    arm: async (ms) => {
      const perRegistration = option === "disposeTimeoutMs";
      c = new Container({ logger: quiet, ...(perRegistration ? {} : options(ms as number)) });
      c.register(
        "slowToDispose",
        { useFactory: () => ({ dispose: () => new Promise<void>((resolve) => (finish = resolve)) }) },
        { lifetime: Lifetime.Scoped, ...(perRegistration ? options(ms as number) : {}) },
      );
      const q = c.createScope("q");
      await q.resolve("slowToDispose");
      let outcome: unknown;
      closing = q.close().then(noop, (err: unknown) => (outcome = err));
      return { fired: () => outcome instanceof DisposeTimeoutError };
    },
    intact: () => {
      if (c) expect(c.isRegistered("slowToDispose")).to.equal(false);
    },
    close: async () => {
      finish?.();
      await closing;
      await c?.close();
    },
  };
}

/** A service whose stop() ignores its signal until `close()`; the time under test bounds it. */
function stoppingService(option: "gracefulShutdownTimeoutMs" | "cancelTimeoutMs"): Site {
  const logger = recordingLogger();
  let started = 0;
  let stopping: Promise<unknown> | undefined;
  let finish: (() => void) | undefined;
  let s: Service | undefined;
  return {
    option,
    arm: async (ms) => {
      let aborted = false;
      class Slow extends Service {
        override get gracefulShutdownTimeoutMs(): number {
          return option === "gracefulShutdownTimeoutMs" ? (ms as number) : 0;
        }
        override get cancelTimeoutMs(): number {
          return option === "cancelTimeoutMs" ? (ms as number) : 1000;
        }
        override async start(): Promise<void> {
          started++;
        }
        override stop(signal: AbortSignal): Promise<void> {
          signal.addEventListener("abort", () => (aborted = true));
          return new Promise<void>((resolve) => (finish = resolve));
        }
      }
      s = new Slow();
      s.logger = logger;
      await startService(s);
      stopping = stopService(s).catch(noop);
      if (option === "gracefulShutdownTimeoutMs") return { fired: () => aborted };
      // gracefulShutdownTimeoutMs 0 runs out at once (a 0 ms timer); cancelTimeoutMs counts from there.
      return { fired: () => logger.entries.some((e) => e.msg.includes("still running")) };
    },
    intact: () => expect(started).to.equal(0),
    close: async () => {
      finish?.();
      await stopping;
    },
  };
}

describe("hardening: every time value is validated or honoured, in one place (issue 12, class 2)", () => {
  for (const [name, make] of Object.entries(sites)) {
    it(`property: ${name} honours any time >= 0 (re-arming above 2^31-1, Infinity never) and rejects the rest`, () =>
      property(make));
  }

  it("property: @scopedService options reject a bad keepAliveMs or disposeTimeoutMs and accept any time >= 0", () =>
    fc.assert(
      fc.property(times, fc.constantFrom("keepAliveMs", "disposeTimeoutMs"), (d, option) => {
        const decorate = () => scopedService(`svc`, { lifetime: Lifetime.Shared, [option]: d.ms });
        if (d.kind === "invalid") expect(decorate).to.throw(ConfigurationError, option);
        else expect(decorate).not.to.throw();
      }),
      propertyOptions(100),
    ));

  describe("the issue's examples", () => {
    let clock: sinon.SinonFakeTimers | undefined;
    const useClock = () =>
      (clock = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
    afterEach(() => {
      clock?.restore();
      clock = undefined;
    });

    it("timeoutMs: 3e9 does not time out at once; it times out 3e9 ms after the scope's creation", async () => {
      const clock = useClock();
      const c = new Container({ logger: quiet });
      const q = c.createScope("q");
      q.timeoutMs = 3e9;
      await clock.tickAsync(1000);
      expect(q.signal.aborted).to.equal(false);
      await clock.tickAsync(3e9 - 1001);
      expect(q.signal.aborted).to.equal(false);
      await clock.tickAsync(1);
      expect(q.signal.reason).to.be.instanceOf(TimeoutError);
      expect((q.signal.reason as TimeoutError).timeoutMs).to.equal(3e9);
      await q.close().catch(noop);
      await c.close();
      expect(clock.countTimers()).to.equal(0);
    });

    it("keepAliveMs: 3e9 keeps a released shared instance for 3e9 ms instead of disposing it at once", async () => {
      const clock = useClock();
      const log: string[] = [];
      const c = new Container({ logger: quiet });
      c.register(
        "kept",
        { useFactory: () => ({ dispose: () => void log.push("dispose") }) },
        { lifetime: Lifetime.Shared, keepAliveMs: 3e9 },
      );
      const q = c.createScope("q");
      const first = await q.resolve("kept");
      await q.close();
      await clock.tickAsync(1000);
      expect(log).to.deep.equal([]);
      const r = c.createScope("r");
      expect(await r.resolve("kept"), "revived, not rebuilt").to.equal(first);
      await r.close();
      await clock.tickAsync(3e9 - 1);
      expect(log).to.deep.equal([]);
      await clock.tickAsync(1);
      expect(log).to.deep.equal(["dispose"]);
      await c.close();
      expect(log).to.deep.equal(["dispose"]);
      expect(clock.countTimers()).to.equal(0);
    });

    it("disposeTimeoutMs: 3e9 waits for a disposal of 10 ms instead of abandoning it", async () => {
      const clock = useClock();
      const log: string[] = [];
      const c = new Container({ logger: quiet, defaultDisposeTimeoutMs: 3e9 });
      c.register(
        "slow",
        {
          useFactory: () => ({
            dispose: async () => {
              log.push("dispose:begin");
              await new Promise((resolve) => setTimeout(resolve, 10));
              log.push("dispose:end");
            },
          }),
        },
        { lifetime: Lifetime.Scoped, disposeTimeoutMs: 3e9 },
      );
      const q = c.createScope("q");
      await q.resolve("slow");
      const closed = settle(q.close());
      await clock.tickAsync(10);
      expect(await closed).to.deep.equal({ ok: true, value: undefined });
      expect(log).to.deep.equal(["dispose:begin", "dispose:end"]);
      await c.close();
      expect(clock.countTimers()).to.equal(0);
    });

    it("resolve(token, { timeoutMs }): NaN and -5 reject with ConfigurationError before anything is created", async () => {
      const { c, q, unchanged, close } = world();
      let created = 0;
      c.register("x", { useFactory: () => ++created }, { lifetime: Lifetime.Scoped });
      for (const bad of [Number.NaN, -5]) {
        const r = await settle(q.resolve("x", { timeoutMs: bad }));
        expect(r.ok).to.equal(false);
        expect(r.value).to.be.instanceOf(ConfigurationError);
        expect((r.value as Error).message).to.equal(
          `resolve: timeoutMs must be a number of milliseconds >= 0 (Infinity: never); got ${bad}.`,
        );
      }
      expect(created).to.equal(0);
      unchanged();
      await close();
    });

    it("resolve(token, { timeoutMs: Infinity }) never times out", async () => {
      const clock = useClock();
      const { c, q, close } = world();
      let ready!: (v: string) => void;
      c.register("x", { useFactory: () => new Promise<string>((resolve) => (ready = resolve)) });
      const p = settle(q.resolve("x", { timeoutMs: Infinity }));
      await clock.tickAsync(WINDOW);
      expect(clock.countTimers()).to.equal(0);
      ready("x");
      expect(await p).to.deep.equal({ ok: true, value: "x" });
      await close();
    });

    it("scope.timeoutMs = -1 throws and keeps the old limit, which still fires", async () => {
      const clock = useClock();
      const { q, close } = world();
      q.timeoutMs = 50;
      expect(() => (q.timeoutMs = -1)).to.throw(
        ConfigurationError,
        "scope q: timeoutMs must be a number of milliseconds >= 0 (Infinity: never); got -1.",
      );
      expect(q.timeoutMs).to.equal(50);
      await clock.tickAsync(50);
      expect(q.signal.reason).to.be.instanceOf(TimeoutError);
      await close();
    });

    it("fork({ timeoutMs: NaN }) and withScope(body, { timeoutMs: -1 }) create no child scope", async () => {
      const { q, unchanged, close } = world();
      expect(() => q.fork({ timeoutMs: Number.NaN })).to.throw(ConfigurationError, "fork: timeoutMs");
      let ran = false;
      const r = await settle(q.withScope(() => void (ran = true), { timeoutMs: -1 }));
      expect(r.value).to.be.instanceOf(ConfigurationError);
      expect((r.value as Error).message).to.contain("withScope: timeoutMs");
      expect(ran).to.equal(false);
      unchanged();
      await close();
    });
  });

  it("every timer of the library is armed in one place (internal/timer.js): no other module calls setTimeout", () => {
    const dist = dirname(fileURLToPath(import.meta.resolve("asyncscope")));
    const callers = readdirSync(dist, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".js"))
      .filter((f) => /\b(setTimeout|setInterval|clearTimeout)\s*\(/.test(readFileSync(join(dist, f), "utf8")))
      .map((f) => relative(dist, join(dist, f)).split("\\").join("/"));
    expect(callers).to.deep.equal(["internal/timer.js"]);
  });

  it("on real timers: no library timer outlives what it belongs to, with every time set above 2^31-1", async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    await nextTurn(); // mocha arms its own test timer once this function has returned its promise
    const before = timers();
    const c = new Container({ logger: quiet, defaultDisposeTimeoutMs: 3e9 });
    c.register("kept", { useFactory: () => ({}) }, { lifetime: Lifetime.Shared, keepAliveMs: 3e9 });
    let ready!: (v: string) => void;
    c.register("late", { useFactory: () => new Promise<string>((resolve) => (ready = resolve)) });
    const q = c.createScope("q");
    q.timeoutMs = 3e9;
    const f = q.fork({ timeoutMs: 3e9 });
    const late = q.resolve("late", { timeoutMs: 3e9 });
    await q.resolve("kept");
    const task = q.spawn(() => delay(20), { cancelTimeoutMs: 3e9 });
    await delay(5);
    expect(q.signal.aborted, "timed out after ~1 ms").to.equal(false);
    expect(f.signal.aborted).to.equal(false);
    ready("late");
    expect(await late).to.equal("late");
    await task;
    await f.close();
    await q.close();
    await c.close();
    await nextTurn();
    expect(timers()).to.equal(before);
  });
});
