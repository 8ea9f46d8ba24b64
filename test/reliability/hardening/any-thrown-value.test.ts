// Issue 12, class 1: any thrown value is an error. Whatever a task, body, factory, hook or disposer throws —
// `undefined`, `null`, `0`, `""`, a Symbol, a frozen object, a Proxy whose every trap throws — reaches its
// receiver as itself (close(), done, withScope, runMain, resolve reject with that very value) or the
// logger; it is never taken for a clean end, and reporting it never throws.
import { expect } from "chai";
import fc from "fast-check";
import { format } from "node:util";
import {
  Container,
  onInit,
  onNoMoreDependents,
  runMain,
  ScopeDiedError,
  type Logger,
  type Scope,
} from "asyncscope";
import { loggedContainer, nextTurn, propertyOptions, settle } from "../../support/helpers.js";
import { anyThrown, HOSTILE, same } from "./thrown-values.js";

type Entries = ReturnType<typeof loggedContainer>["logger"]["entries"];

/** The outcome rejected with exactly `v` (same value, not a wrapper). */
function expectRejectedWith(outcome: { ok: boolean; error?: unknown }, v: unknown, what: string): void {
  expect(outcome.ok, `${what} must reject`).to.equal(false);
  expect(same(outcome.error, v), `${what} rejects with the thrown value itself`).to.equal(true);
}

/** The logger got exactly one entry, at `level`, carrying `v`, with a string message. */
function expectLoggedOnce(entries: Entries, level: string, v: unknown): void {
  expect(entries.length, "one log entry").to.equal(1);
  const [entry] = entries;
  expect(entry!.level).to.equal(level);
  expect(typeof entry!.msg).to.equal("string");
  expect(same(entry!.rest[0], v), "the logger receives the thrown value itself").to.equal(true);
}

/** Whether `v` counts as the echo of a cancellation (an AbortError): then it is not logged as a failure. */
function isAbortError(v: unknown): boolean {
  try {
    return v instanceof DOMException && v.name === "AbortError";
  } catch {
    return false;
  }
}

/** Resolves once `signal` aborts. */
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

interface Site {
  name: string;
  run(v: unknown): Promise<void>;
}

const SITES: Site[] = [
  {
    name: "a task that throws synchronously: close() rejects with it",
    async run(v) {
      const { c, logger } = loggedContainer();
      const s = c.createScope();
      s.spawn(() => {
        throw v;
      });
      expectRejectedWith(await settle(s.close()), v, "close()");
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "a task that rejects: done rejects with it",
    async run(v) {
      const { c, logger } = loggedContainer();
      const s = c.createScope();
      s.spawn(async () => {
        await null;
        throw v;
      });
      s.finalize();
      expectRejectedWith(await settle(s.done), v, "done");
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "a withScope body: withScope rejects with it",
    async run(v) {
      const { c, logger } = loggedContainer();
      expectRejectedWith(
        await settle(
          c.withScope(async () => {
            throw v;
          }),
        ),
        v,
        "withScope",
      );
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "a task in a withScope body: withScope rejects with it",
    async run(v) {
      const { c, logger } = loggedContainer();
      const r = await settle(
        c.withScope(async (s) => {
          s.spawn(async () => {
            throw v;
          });
        }),
      );
      expectRejectedWith(r, v, "withScope");
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "runMain's main, and a task of it: runMain rejects with it",
    async run(v) {
      const saved = process.exitCode;
      try {
        for (const main of [
          async (): Promise<void> => {
            throw v;
          },
          async (s: Scope): Promise<void> => {
            s.spawn(async () => {
              throw v;
            });
          },
        ]) {
          const { c, logger } = loggedContainer();
          process.exitCode = 0;
          expectRejectedWith(await settle(runMain(main, { container: c, signals: [] })), v, "runMain");
          expect(process.exitCode).to.equal(1);
          expect(logger.entries).to.deep.equal([]);
        }
      } finally {
        process.exitCode = saved;
      }
    },
  },
  {
    name: "a factory (sync and async): resolve and withScope reject with it",
    async run(v) {
      const { c, logger } = loggedContainer();
      c.register("sync", {
        useFactory: () => {
          throw v;
        },
      });
      c.register("async", {
        useFactory: async () => {
          await null;
          throw v;
        },
      });
      for (const token of ["sync", "async"]) {
        expectRejectedWith(await settle(c.resolve(token)), v, `resolve(${token})`);
        expectRejectedWith(await settle(c.withScope((s) => s.resolve(token))), v, "withScope");
      }
      expect(logger.entries).to.deep.equal([]);
      expect(c.inspect().instances).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "an @onInit hook: resolve rejects with it",
    async run(v) {
      const { c, logger } = loggedContainer();
      class Hooked {
        @onInit()
        init(): void {
          throw v;
        }
      }
      c.register("hooked", { useClass: Hooked });
      expectRejectedWith(await settle(c.withScope((s) => s.resolve("hooked"))), v, "withScope");
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "a disposer (sync and async): the close that disposes rejects with it",
    async run(v) {
      const { c, logger } = loggedContainer();
      c.register(
        "sync",
        { useFactory: () => ({}) },
        {
          dispose: () => {
            throw v;
          },
        },
      );
      c.register("async", {
        useFactory: () => ({
          [Symbol.asyncDispose]: async () => {
            await null;
            throw v;
          },
        }),
      });
      for (const token of ["sync", "async"]) {
        expectRejectedWith(
          await settle(c.withScope((s) => s.resolve(token).then(() => undefined))),
          v,
          `withScope (${token})`,
        );
      }
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "an @onNoMoreDependents hook: the close that releases rejects with it",
    async run(v) {
      const { c, logger } = loggedContainer();
      class Hooked {
        @onNoMoreDependents()
        gone(): void {
          throw v;
        }
      }
      c.register("hooked", { useClass: Hooked });
      expectRejectedWith(
        await settle(c.withScope((s) => s.resolve("hooked").then(() => undefined))),
        v,
        "withScope",
      );
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "a useService function that throws when it cleans up: release rejects with it",
    async run(v) {
      const { c, logger } = loggedContainer();
      c.register("svc", {
        useService: async (svc) => {
          svc.register({});
          await svc.noMoreDependents();
          throw v;
        },
      });
      const q = c.createScope();
      await q.resolve("svc");
      expectRejectedWith(await settle(q.release("svc")), v, "release");
      await q.resolve("svc");
      expectRejectedWith(await settle(q.close()), v, "close()");
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "start(fn) whose fn throws before ready: start rejects with it",
    async run(v) {
      const { c, logger } = loggedContainer();
      const s = c.createScope();
      expectRejectedWith(
        await settle(
          s.start(async () => {
            throw v;
          }),
        ),
        v,
        "start",
      );
      await s.close();
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "cancel(reason) with any reason but undefined: close() and done reject with it; undefined is none",
    async run(v) {
      const { c, logger } = loggedContainer();
      const s = c.createScope();
      s.spawn((signal) => aborted(signal));
      s.cancel(v);
      const closed = await settle(s.close());
      const done = await settle(s.done);
      if (v === undefined) {
        expect(closed.ok && done.ok, "cancel(undefined) is cancel()").to.equal(true);
      } else {
        expectRejectedWith(closed, v, "close()");
        expectRejectedWith(done, v, "done");
      }
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "a bubble: false task: the logger receives it (error) and the scope closes cleanly",
    async run(v) {
      const { c, logger } = loggedContainer();
      const r = await settle(
        c.withScope(async (s) => {
          s.spawn(
            async () => {
              throw v;
            },
            { bubble: false },
          );
        }),
      );
      expect(r.ok).to.equal(true);
      expectLoggedOnce(logger.entries, "error", v);
      await c.close();
    },
  },
  {
    name: "a task that throws while it is cancelled: the logger receives it (warn)",
    async run(v) {
      const { c, logger } = loggedContainer();
      const s = c.createScope();
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      s.spawn(async (signal) => {
        started();
        await aborted(signal);
        throw v;
      });
      await running;
      s.cancel();
      expect((await settle(s.close())).ok, "a cancel without a reason ends cleanly").to.equal(true);
      if (isAbortError(v)) expect(logger.entries).to.deep.equal([]);
      else expectLoggedOnce(logger.entries, "warn", v);
      await c.close();
    },
  },
  {
    name: "a fork nobody observes: its parent's close logs it (error) and resolves",
    async run(v) {
      const { c, logger } = loggedContainer();
      const s = c.createScope();
      const f = s.fork();
      f.spawn(() => {
        throw v;
      });
      await nextTurn();
      expect(f.state).to.equal("closed");
      expect((await settle(s.close())).ok).to.equal(true);
      expectLoggedOnce(logger.entries, "error", v);
      await c.close();
    },
  },
  {
    name: "a background task of a ready instance: the holder's body sees ScopeDiedError whose cause is it",
    async run(v) {
      const { c, logger } = loggedContainer();
      let fail!: () => void;
      const failing = new Promise<void>((r) => (fail = r));
      c.register("svc", {
        useFactory: (ctx) => {
          ctx.scope.spawn(async () => {
            await failing;
            throw v;
          });
          return {};
        },
      });
      const r = await settle(
        c.withScope(async (s) => {
          await s.resolve("svc");
          fail();
          await aborted(s.signal);
          throw s.signal.reason;
        }),
      );
      if (r.ok) expect.fail("withScope must reject");
      expect(r.error).to.be.instanceOf(ScopeDiedError);
      expect(same((r.error as ScopeDiedError).cause, v), ".cause is the thrown value").to.equal(true);
      expect(typeof (r.error as ScopeDiedError).message).to.equal("string");
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
  {
    name: "a useService function that throws once ready: the holder's body sees ScopeDiedError whose cause is it",
    async run(v) {
      const { c, logger } = loggedContainer();
      let fail!: () => void;
      const failing = new Promise<void>((r) => (fail = r));
      c.register("svc", {
        useService: async (svc) => {
          svc.register({});
          await failing;
          throw v;
        },
      });
      const r = await settle(
        c.withScope(async (s) => {
          await s.resolve("svc");
          fail();
          await aborted(s.signal);
          throw s.signal.reason;
        }),
      );
      if (r.ok) expect.fail("withScope must reject");
      expect(r.error).to.be.instanceOf(ScopeDiedError);
      expect(same((r.error as ScopeDiedError).cause, v), ".cause is the thrown value").to.equal(true);
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    },
  },
];

describe("hardening: any thrown value is an error", function () {
  this.timeout(60_000);

  it("a task that rejects with undefined makes close(), done, withScope and runMain reject with undefined", async () => {
    const { c, logger } = loggedContainer();
    const q = c.createScope("q");
    q.spawn(() => Promise.reject(undefined));
    const closed = await settle(q.close());
    expect(closed).to.deep.equal({ ok: false, error: undefined });

    const r = c.createScope("r");
    r.spawn(() => Promise.reject(undefined));
    r.finalize();
    expect(await settle(r.done)).to.deep.equal({ ok: false, error: undefined });

    expect(
      await settle(c.withScope(async (s) => void s.spawn(() => Promise.reject(undefined)))),
    ).to.deep.equal({ ok: false, error: undefined });

    const saved = process.exitCode;
    try {
      const ran = await settle(
        runMain(async (s) => void s.spawn(() => Promise.reject(undefined)), {
          container: new Container({ logger }),
          signals: [],
        }),
      );
      expect(ran).to.deep.equal({ ok: false, error: undefined });
      expect(process.exitCode).to.equal(1);
    } finally {
      process.exitCode = saved;
    }
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });

  it("a body that catches its task's error and throws its own: both surface, the body's first (nothing lost)", async () => {
    const { c, logger } = loggedContainer();
    const taskError = new Error("task");
    const bodyError = new Error("body");
    const r = await settle(
      c.withScope(async (s) => {
        s.spawn(async () => {
          throw taskError;
        });
        await aborted(s.signal);
        throw bodyError;
      }),
    );
    if (r.ok) expect.fail("withScope must reject");
    expect(r.error).to.be.instanceOf(AggregateError);
    expect((r.error as AggregateError).errors).to.deep.equal([bodyError, taskError]);
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });

  for (const site of SITES) {
    it(`every hostile value, thrown from ${site.name}`, async () => {
      for (const [name, make] of Object.entries(HOSTILE)) {
        try {
          await site.run(make());
        } catch (err) {
          throw new Error(`thrown value: ${name}: ${(err as Error).message}`, { cause: err });
        }
      }
    });
  }

  it("property: any value thrown from any site reaches its receiver as itself, or the logger", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SITES.map((site) => site.name)), anyThrown, (name, make) =>
        SITES.find((site) => site.name === name)!.run(make()),
      ),
      propertyOptions(120),
    );
  });

  it("a logger that cannot format the thrown value still gets a line describing it", async () => {
    const lines: string[] = [];
    // A console-like logger: formats its arguments as console.error does, which throws for some values.
    const logger: Logger = {
      warn: (msg, ...rest) => void lines.push(format(msg, ...rest)),
      error: (msg, ...rest) => void lines.push(format(msg, ...rest)),
    };
    for (const [name, make] of Object.entries(HOSTILE)) {
      lines.length = 0;
      const c = new Container({ logger });
      const r = await settle(
        c.withScope(async (s) => {
          s.spawn(
            async () => {
              throw make();
            },
            { bubble: false },
          );
        }),
      );
      expect(r.ok, name).to.equal(true);
      expect(lines.length, `${name}: one line`).to.equal(1);
      expect(lines[0], name).to.match(/^Task task-1 in scope scope-\d+ failed: /);
      await c.close();
    }
  });
});
