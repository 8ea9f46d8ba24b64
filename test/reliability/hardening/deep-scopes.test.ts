// Issue 12, class 3: no stack depth proportional to a user-controlled size. 100,000 nested scopes (plain,
// forks, withScope calls linked to their caller's signal), 100,000 sibling scopes, 100,000 singletons:
// cancel, close, inspect, render, crash propagation, a shutdown report all work without a RangeError, and
// everything ends closed and empty.
import { expect } from "chai";
import fc from "fast-check";
import {
  Container,
  runMain,
  ScopeDiedError,
  ShutdownTimeoutError,
  toDot,
  toMermaid,
  type Scope,
} from "asyncscope";
import { delay, loggedContainer, nextTurn, propertyOptions, settle } from "../../support/helpers.js";

const HUGE = 100_000;
/**
 * Nested withScope calls each run a body task (a scope, a task, a signal, an async context): 20,000 by
 * default (2.5 times the 8,000 that overflowed) to keep `npm test` fast; HARDENING_DEPTH=100000 for more.
 */
const NESTED_BODIES = Number(process.env.HARDENING_DEPTH ?? 20_000);
/** One scope in this many runs a task in the nested chains (each such scope's close then waits). */
const TASK_EVERY = 100;

const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

/** A chain of `depth` scopes below `top` (createScope or fork), each with `width - 1` leaf siblings. */
function comb(top: Scope, depth: number, width: number, fork: boolean): Scope[] {
  const chain: Scope[] = [];
  let s = top;
  for (let i = 0; i < depth; i++) {
    for (let j = 1; j < width; j++) s.createScope(`leaf-${i}-${j}`);
    s = fork ? s.fork({ name: `n${i}` }) : s.createScope(`n${i}`);
    chain.push(s);
  }
  return chain;
}

/** Everything closed, nothing alive, nothing logged. */
async function expectEmpty(c: Container, logger: { entries: unknown[] }): Promise<void> {
  if (c.root.state !== "closed") await c.close();
  expect(c.inspect()).to.deep.equal({ scopes: [], instances: [] });
  expect(logger.entries).to.deep.equal([]);
}

describe("hardening: no stack depth proportional to nesting or width", function () {
  this.timeout(120_000);

  it(`cancel() of the outermost of ${HUGE.toLocaleString("en")} nested scopes closes them all (8,000 overflowed)`, async () => {
    const { c, logger } = loggedContainer();
    const top = c.createScope("top");
    const chain = comb(top, HUGE, 1, false);
    top.cancel();
    expect(top.state).to.equal("closed");
    expect(chain.every((s) => s.state === "closed")).to.equal(true);
    await top.close();
    await expectEmpty(c, logger);
  });

  it(`${HUGE.toLocaleString("en")} nested scopes and forks, some running a task: container.close() ends them all`, async () => {
    const { c, logger } = loggedContainer();
    const chain = comb(c.root, HUGE / 2, 1, false);
    for (const fork of comb(chain[chain.length - 1]!, HUGE / 2, 1, true)) chain.push(fork);
    const ended: number[] = [];
    chain.forEach((s, i) => {
      if (i % TASK_EVERY === TASK_EVERY - 1)
        s.spawn((signal) => aborted(signal).then(() => void ended.push(i)));
    });
    await nextTurn();
    await c.close();
    expect(ended.length).to.equal(HUGE / TASK_EVERY);
    expect(chain.every((s) => s.state === "closed")).to.equal(true);
    await expectEmpty(c, logger);
  });

  it(`${NESTED_BODIES.toLocaleString("en")} nested withScope calls (each linked to its caller's signal) end when the outermost is cancelled`, async () => {
    const { c, logger } = loggedContainer();
    let innermost!: () => void;
    const reached = new Promise<void>((r) => (innermost = r));
    const nest = async (s: Scope, n: number): Promise<void> => {
      if (n === 0) {
        innermost();
        return aborted(s.signal);
      }
      return s.withScope((child) => nest(child, n - 1));
    };
    const top = c.createScope("top");
    const run = settle(top.withScope((s) => nest(s, NESTED_BODIES)));
    await reached;
    top.cancel();
    expect(await run).to.deep.equal({ ok: true, value: undefined });
    await top.close();
    await expectEmpty(c, logger);
  });

  it(`inspect(), toMermaid() and toDot() of ${HUGE.toLocaleString("en")} sibling scopes and of ${HUGE.toLocaleString("en")} nested ones`, async () => {
    for (const [depth, width] of [
      [1, HUGE + 30_000],
      [HUGE, 1],
    ] as const) {
      const { c, logger } = loggedContainer();
      comb(c.root, depth, width, false);
      const graph = c.inspect();
      expect(graph.scopes.length).to.equal(depth * width + 1);
      expect(toMermaid(graph).split("\n").length).to.be.greaterThan(depth * width);
      expect(toDot(graph).split("\n").length).to.be.greaterThan(depth * width);
      await expectEmpty(c, logger);
    }
  });

  it(`the container's close releases ${(HUGE + 50_000).toLocaleString("en")} singletons`, async () => {
    const { c, logger } = loggedContainer();
    const n = HUGE + 50_000;
    let disposed = 0;
    for (let i = 0; i < n; i++) {
      c.register(
        `s${i}`,
        { useFactory: () => ({ dispose: () => void disposed++ }) },
        { lifetime: "singleton" },
      );
    }
    const q = c.createScope();
    await Promise.all(Array.from({ length: n }, (_, i) => q.resolve(`s${i}`)));
    await q.close();
    await c.close();
    expect(disposed).to.equal(n);
    await expectEmpty(c, logger);
  });

  it(`a shared service held by ${HUGE.toLocaleString("en")} nested scopes crashes: every one of them sees ScopeDiedError`, async () => {
    const { c, logger } = loggedContainer();
    let crash!: (err: Error) => void;
    c.register("svc", {
      useService: async (svc) => {
        svc.register({});
        await new Promise<void>((_, reject) => (crash = reject));
      },
    });
    const chain = comb(c.root, HUGE, 1, false);
    for (const s of chain) if (s.lookup("svc") === undefined) await s.resolve("svc");
    // Each scope's outcome is taken before the crash: each reports its own ScopeDiedError (9.4).
    const outcomes = Promise.all(chain.map((s) => settle(s.done)));
    const boom = new Error("boom");
    crash(boom);
    for (const o of await outcomes) {
      if (o.ok || !(o.error instanceof ScopeDiedError) || o.error.cause !== boom)
        expect.fail(`got ${String(o)}`);
    }
    await expectEmpty(c, logger);
  });

  it(`a ${NESTED_BODIES.toLocaleString("en")}-deep chain of starting services is abandoned at once when its only waiter gives up`, async () => {
    const { c, logger } = loggedContainer();
    const n = NESTED_BODIES;
    let abandoned = 0;
    for (let i = 0; i < n; i++) {
      c.register(
        `n${i}`,
        {
          useFactory:
            i === 0
              ? (ctx) =>
                  new Promise((_, reject) =>
                    ctx.signal.addEventListener("abort", () => {
                      abandoned++;
                      reject(ctx.signal.reason);
                    }),
                  )
              : (ctx) => ({ dep: ctx.deps[0] }),
        },
        { dependsOn: i === 0 ? [] : [`n${i - 1}`] },
      );
    }
    const q = c.createScope();
    const resolving = settle(q.resolve(`n${n - 1}`));
    while (c.inspect().instances.length < n) await delay(10);
    q.cancel();
    const r = await resolving;
    expect(r.ok).to.equal(false);
    expect(abandoned, "the factory at the bottom of the chain saw its signal abort").to.equal(1);
    await q.close();
    await expectEmpty(c, logger);
  });

  it(`runMain's shutdown report names a stuck task below ${HUGE.toLocaleString("en")} nested scopes`, async () => {
    const { c, logger } = loggedContainer();
    let unstick!: () => void;
    const stuck = new Promise<void>((r) => (unstick = r));
    const saved = process.exitCode;
    try {
      const r = await settle(
        runMain(
          async (scope) => {
            const chain = comb(scope, HUGE, 1, false);
            chain[chain.length - 1]!.spawn(() => stuck, { name: "stuck", cancelTimeoutMs: 60_000 });
            // A signal starts the shutdown clock; the stuck task outlives it.
            setImmediate(() => process.emit("SIGUSR2", "SIGUSR2"));
            await aborted(scope.signal);
          },
          { container: c, signals: ["SIGUSR2"], shutdownTimeoutMs: 50 },
        ),
      );
      if (r.ok) expect.fail("runMain must reject");
      expect(r.error).to.be.instanceOf(ShutdownTimeoutError);
      expect(
        (r.error as ShutdownTimeoutError).pending.filter((p) => p.startsWith("task stuck")),
      ).to.deep.equal([`task stuck (scope n${HUGE - 1})`]);
    } finally {
      process.exitCode = saved;
      unstick();
    }
    await delay(10);
    await c.close();
    await expectEmpty(c, logger);
  });

  it("property: any comb of nested and sibling scopes (up to 100,000 in all, some with tasks) cancels, inspects and closes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: HUGE }),
        fc.integer({ min: 1, max: HUGE }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom("cancel top", "cancel middle", "close container"),
        async (depthWanted, widthWanted, fork, tasks, action) => {
          const depth = depthWanted;
          const width = Math.max(1, Math.min(widthWanted, Math.floor(HUGE / depth)));
          const { c, logger } = loggedContainer();
          const top = c.createScope("top");
          const chain = comb(top, depth, width, fork);
          if (tasks) chain.forEach((s, i) => i % TASK_EVERY === 0 && s.spawn((signal) => aborted(signal)));
          expect(c.inspect().scopes.length).to.equal(depth * width + 2);
          if (action === "cancel top") top.cancel();
          else if (action === "cancel middle") chain[Math.floor(depth / 2)]!.cancel();
          await c.close();
          expect(chain.every((s) => s.state === "closed")).to.equal(true);
          await expectEmpty(c, logger);
        },
      ),
      propertyOptions(3),
    );
  });
});
