// Interleavings: the same scenarios with their await points reordered by fast-check's seeded scheduler.
// Every factory, hook, disposer and every step of the code under test waits on `s.schedule(...)`, so each
// run explores one order of a resolve and a release, a close and a starting factory, two closes, crashes
// and cancellations; a failure prints the seed and the order the scheduler chose.
import { expect } from "chai";
import fc from "fast-check";
import {
  CancelledError,
  Container,
  Lifetime,
  ScopeClosedError,
  ScopeDiedError,
  type Scope,
} from "asyncscope";
import {
  delay,
  flattenErrors,
  loggedContainer,
  propertyOptions,
  recordingLogger,
  settle,
} from "../support/helpers.js";
import { graph } from "./model/graph.js";
import { Ledger } from "./model/ledger.js";
import type { CreateFailure, DisposeMode, ServiceSpec } from "./model/reference.js";
import { tokenOf, World, type Built, type Value } from "./model/system.js";

const RUNS = 300;
/** A run whose promises do not settle within this much real time is stuck. */
const STUCK_MS = 5_000;

/** A world whose every pause is a point the scheduler orders. */
function scheduledWorld(s: fc.Scheduler, specs: ServiceSpec[]): World {
  return new World(specs, (_spec, what) => s.schedule(Promise.resolve(), what));
}

/** One service spec without dependencies whose factory and disposer each wait for the scheduler. */
function single(lifetime: ServiceSpec["lifetime"], kind: ServiceSpec["kind"] = "factory"): ServiceSpec[] {
  return [{ index: 0, name: tokenOf(0), lifetime, kind, steps: [], hooks: false, ticks: 1 }];
}

/** Let the scheduler run until `p` settles; a run that cannot get there is stuck (a deadlock). */
async function drive<T>(s: fc.Scheduler, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stuck; the scheduler ran: ${String(s)}`)), STUCK_MS);
  });
  try {
    return await Promise.race([s.waitFor(p), stuck]);
  } finally {
    clearTimeout(timer);
  }
}

/** Run `fn` once the scheduler picks this step. */
const step = <T>(s: fc.Scheduler, label: string, fn: () => Promise<T>): Promise<T> =>
  s.schedule(Promise.resolve(), label).then(fn);

const builtOf = (v: unknown): Built => (v as Value).built;

describe("interleavings", function () {
  this.timeout(0);

  it("a resolve racing a release of a shared service gets the live instance or a fresh one, never a dying one", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.constantFrom<ServiceSpec["kind"]>("factory", "service"),
        async (s, kind) => {
          const { c, logger } = loggedContainer();
          const world = scheduledWorld(s, single(Lifetime.Shared, kind));
          world.registerAll(c);
          const [q1, q2] = [c.createScope("q1"), c.createScope("q2")];
          const first = builtOf(await drive(s, q1.resolve("S0")));
          const racing = Promise.all([
            step(s, "q1.release", () => q1.release("S0")),
            step(s, "q2.resolve", () =>
              q2.resolve("S0").then((v) => {
                // Held by q2 now: it cannot be disposing.
                expect(builtOf(v).disposeBegin, "the instance q2 received is not disposing").to.equal(0);
                return builtOf(v);
              }),
            ),
          ]);
          const [, second] = await drive(s, racing);
          if (second === first) {
            expect(first.disposals, "joined before the release: still alive").to.equal(0);
          } else {
            expect(first.disposals).to.equal(1);
            expect(
              second.startedAt,
              "a fresh instance starts after the old one is disposed",
            ).to.be.greaterThan(first.disposeEnd);
          }
          await drive(s, Promise.all([q2.close(), c.close()]));
          world.checkDisposals();
          expect(logger.entries).to.deep.equal([]);
          expect(c.inspect()).to.deep.equal({ scopes: [], instances: [] });
        },
      ),
      propertyOptions(RUNS),
    );
  });

  it("a resolve waiting for a release is given up with its scope, and takes no reference afterwards", async () => {
    const { c, logger } = loggedContainer();
    const log: string[] = [];
    let n = 0;
    c.register("S", {
      useFactory: () => {
        const id = ++n;
        log.push(`S${id}:create`);
        return {
          [Symbol.asyncDispose]: async () => {
            await delay(20);
            log.push(`S${id}:dispose`);
          },
        };
      },
    });
    const [q1, q2] = [c.createScope("q1"), c.createScope("q2")];
    await q1.resolve("S");
    const released = q1.release("S");
    // S is releasing: this resolve waits for the release to finish, then would get a fresh S.
    const waiting = settle(q2.resolve("S"));
    await q2.close();
    expect(((await waiting) as { error: unknown }).error).to.be.instanceOf(CancelledError);
    await released;
    await delay(5);
    expect(log).to.deep.equal(["S1:create", "S1:dispose"]);
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
    expect(logger.entries).to.deep.equal([]);
  });

  describe("a close racing a starting factory", () => {
    it("the waiter is cancelled or served; creation goes on while another waits; nothing is left behind", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.constantFrom<ServiceSpec["kind"]>("factory", "service"),
          fc.boolean(),
          async (s, kind, secondWaiter) => {
            const { c, logger } = loggedContainer();
            const world = scheduledWorld(s, single(Lifetime.Shared, kind));
            world.registerAll(c);
            const [q1, q2] = [c.createScope("q1"), c.createScope("q2")];
            const r1 = settle(q1.resolve("S0"));
            const r2 = secondWaiter ? settle(q2.resolve("S0")) : undefined;
            const closed = step(s, "q1.close", () => q1.close());
            const [got1, got2] = await drive(s, Promise.all([r1, r2, closed]));
            if (!got1.ok) expect(got1.error).to.be.instanceOf(CancelledError);
            if (got2) {
              // While one waiter remains, the creation continues (SEMANTICS 2.4).
              expect(got2.ok, "the second waiter is served").to.equal(true);
              if (got1.ok) expect(got1.value).to.equal((got2 as { value: unknown }).value);
            }
            await drive(s, c.close());
            // A creation every waiter left is disposed as soon as it is built (if it was built at all).
            world.checkDisposals();
            expect(logger.entries).to.deep.equal([]);
            expect(c.inspect()).to.deep.equal({ scopes: [], instances: [] });
          },
        ),
        propertyOptions(RUNS),
      );
    });

    it("a useService every requester left before it registered is told noMoreDependents and cleans up", async () => {
      const { c, logger } = loggedContainer();
      const log: string[] = [];
      c.register("svc", {
        useService: async (svc) => {
          await delay(10);
          svc.register({});
          log.push("registered");
          await svc.noMoreDependents();
          log.push("cleaned up");
        },
      });
      const q = c.createScope();
      const resolved = settle(q.resolve("svc"));
      await q.close();
      expect(((await resolved) as { error: unknown }).error).to.be.instanceOf(CancelledError);
      await delay(30);
      expect(log).to.deep.equal(["registered", "cleaned up"]);
      expect(c.inspect().instances).to.deep.equal([]);
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });
  });

  it("two closes of a scope, its parent's and the container's, in any order: one outcome each, every disposer once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const { c, logger } = loggedContainer();
        const specs: ServiceSpec[] = [
          { index: 0, name: "S0", lifetime: "shared", kind: "factory", steps: [], hooks: true, ticks: 1 },
          { index: 1, name: "S1", lifetime: "scoped", kind: "class", steps: [0], hooks: false, ticks: 1 },
          {
            index: 2,
            name: "S2",
            lifetime: "transient",
            kind: "service",
            steps: [1, 0],
            hooks: false,
            ticks: 1,
          },
        ];
        const world = scheduledWorld(s, specs);
        world.disposeMode[1] = "fail";
        world.registerAll(c);
        const parent = c.createScope("parent");
        const q = parent.createScope("q");
        await drive(s, Promise.all([q.resolve("S2"), q.resolve("S1"), parent.resolve("S0")]));
        q.spawn((signal) => new Promise((resolve) => signal.addEventListener("abort", resolve)), {
          awaited: false,
        });
        const outcomes = await drive(
          s,
          Promise.all([
            step(s, "q.close 1", () => settle(q.close())),
            step(s, "q.close 2", () => settle(q.close())),
            step(s, "parent.close", () => settle(parent.close())),
            step(s, "container.close", () => settle(c.close())),
          ]),
        );
        const errorOf = (o: { ok: boolean; error?: unknown }): unknown => (o.ok ? undefined : o.error);
        expect(world.injected).to.have.length(1);
        const [failed] = world.injected;
        expect(errorOf(outcomes[0]), "q's disposal error is q's outcome").to.equal(failed);
        expect(errorOf(outcomes[1]), "every close of q gives the same outcome").to.equal(failed);
        for (const o of outcomes.slice(2)) {
          // The parent and the container report it too only if they closed q before anyone asked q.
          if (!o.ok)
            expect(flattenErrors(o.error)).to.satisfy((es: unknown[]) => es.length === 1 && es[0] === failed);
        }
        world.checkDisposals();
        expect(logger.entries).to.deep.equal([]);
        expect(c.inspect()).to.deep.equal({ scopes: [], instances: [] });
      }),
      propertyOptions(RUNS),
    );
  });

  it("concurrent requests over a random graph, with failures and crashes, in any order: nothing lost", async () => {
    await fc.assert(
      fc.asyncProperty(graph, requests, failures, fc.scheduler(), async (specs, actors, faults, s) => {
        await new Requests(specs, faults, s).run(actors);
      }),
      propertyOptions(RUNS),
    );
  });
});

// ----- concurrent requests ---------------------------------------------------------------------------------

type Op =
  | { t: "resolve" | "release" | "lookup" | "task"; token: number; wait: boolean }
  | { t: "close" | "cancel"; wait: boolean }
  | { t: "crash"; target: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ t: fc.constant("resolve" as const), token: fc.nat(7), wait: fc.boolean() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant("release" as const), token: fc.nat(7), wait: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant("lookup" as const), token: fc.nat(7), wait: fc.constant(true) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant("task" as const), token: fc.nat(7), wait: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("close" as const), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("cancel" as const), wait: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("crash" as const), target: fc.nat(20) }) },
);

/** Each request has a scope (a child of the root, or of an earlier request's scope) and a list of steps. */
const requests = fc.array(fc.record({ parent: fc.nat(3), ops: fc.array(op, { maxLength: 6 }) }), {
  minLength: 1,
  maxLength: 4,
});

/** Per service: how its creations and its disposals fail. Disposals never hang here: time is not scheduled. */
const failures = fc.array(
  fc.record({
    create: fc.constantFrom<CreateFailure>("none", "none", "none", "factory", "init"),
    dispose: fc.constantFrom<DisposeMode>("ok", "ok", "ok", "fail", "failHook"),
  }),
  { minLength: 8, maxLength: 8 },
);

class Requests {
  readonly logger = recordingLogger();
  readonly container = new Container({ logger: this.logger });
  readonly world: World;
  private readonly ledger = new Ledger();
  private readonly crashes = new Set<Error>();
  private readonly pending: Promise<unknown>[] = [];

  constructor(
    specs: ServiceSpec[],
    faults: { create: CreateFailure; dispose: DisposeMode }[],
    private readonly s: fc.Scheduler,
  ) {
    this.world = scheduledWorld(s, specs);
    specs.forEach((_, i) => {
      this.world.failing[i] = faults[i]!.create;
      this.world.disposeMode[i] = faults[i]!.dispose;
    });
    this.world.registerAll(this.container);
  }

  async run(actors: { parent: number; ops: Op[] }[]): Promise<void> {
    const { s, container } = this;
    const scopes: Scope[] = [];
    const outcomes: Promise<void>[] = [];
    for (const [i, a] of actors.entries()) {
      const parent = a.parent % (i + 1) === 0 ? container.root : scopes[(a.parent % (i + 1)) - 1]!;
      const q = parent.createScope(`r${i}`);
      // Each request's outcome is taken here, once (a parent reporting its children is the model test's).
      outcomes.push(this.received(`${q.name} outcome`, q.done));
      scopes.push(q);
    }
    const handlers = actors.map(async (a, i) => {
      for (const [k, o] of a.ops.entries()) {
        await s.schedule(Promise.resolve(), `r${i} step ${k} ${o.t}`);
        const done = this.perform(scopes[i]!, o);
        if ("wait" in o && o.wait) await done;
        else this.pending.push(done);
      }
    });
    await drive(s, Promise.all(handlers));
    await drive(s, Promise.all(this.pending));
    await drive(s, Promise.all([...scopes.map((q) => q.close().catch(() => undefined)), ...outcomes]));
    await drive(s, this.received("container.close()", container.close()));
    expect(container.inspect(), "nothing is alive").to.deep.equal({ scopes: [], instances: [] });
    this.world.checkDisposals();
    this.checkReports();
  }

  private perform(q: Scope, o: Op): Promise<unknown> {
    const via = `${q.name}.${o.t}`;
    switch (o.t) {
      case "resolve":
        return this.received(
          `${via}(${this.token(o.token)})`,
          q.resolve(this.token(o.token)).then((v) => {
            if (q.state === "open")
              expect(builtOf(v).disposeBegin, `${via} got a disposing instance`).to.equal(0);
          }),
        );
      case "release":
        return this.received(`${via}(${this.token(o.token)})`, q.release(this.token(o.token)));
      case "lookup":
        return this.received(via, new Promise((resolve) => resolve(q.lookup(this.token(o.token)))));
      case "task":
        return this.received(
          via,
          new Promise<unknown>((resolve) => resolve(q.spawn(() => q.resolve(this.token(o.token))))),
        );
      case "close":
        // Its outcome is the request's outcome, taken once from `done`.
        return q.close().catch(() => undefined);
      case "cancel":
        q.cancel();
        return Promise.resolve();
      case "crash": {
        const alive = this.world.built.filter((b) => b.crash);
        const target = alive[o.target % Math.max(1, alive.length)];
        const error = new Error(`crash ${target?.spec.name}#${target?.uid}`);
        if (target?.crash!(error)) this.crashes.add(error);
        return Promise.resolve();
      }
    }
  }

  private token(i: number): string {
    return tokenOf(i % this.world.specs.length);
  }

  private async received(via: string, p: Promise<unknown>): Promise<void> {
    const got = await settle(p);
    if (!got.ok) this.ledger.receive(via, got.error);
  }

  /**
   * Beyond the injected errors: cancellations and use-after-close of the requests' own calls, and each
   * crash reported once by itself or as the cause of ScopeDiedErrors (one per scope it reached).
   */
  private checkReports(): void {
    // Single flight: the one error of a failed creation goes to every request that waited for it, also
    // through the failed creations of its dependents; a failed creation's teardown errors go to whoever waited
    // for that creation (SEMANTICS 2.1). A request cancelled (by a crash, with a ScopeDiedError) rejects its
    // pending calls with that reason too.
    const ownResolve = /^r\d+\.(resolve|lookup|task)/;
    const request = (via: string): string | undefined => /^r\d+/.exec(via)?.[0];
    const others = this.ledger.close(
      this.logger,
      this.world.injected,
      (error, rs) =>
        (rs.every((r) => ownResolve.test(r.via)) &&
          (this.world.creationErrors.has(error) ||
            this.crashes.has(error as Error) ||
            error instanceof ScopeDiedError ||
            rs.every((r) => r.within.some((w) => rs[0]!.within.includes(w))))) ||
        ((error instanceof ScopeDiedError || error instanceof CancelledError) &&
          new Set(rs.map((r) => request(r.via))).size === 1),
    );
    const direct = new Map<unknown, number>();
    const died = new Map<unknown, number>();
    for (const [error, via] of others) {
      const ownCall = /^r\d+\.(resolve|lookup|task|release)/.test(via);
      if ((error instanceof CancelledError || error instanceof ScopeClosedError) && ownCall) continue;
      if (this.crashes.has(error as Error)) direct.set(error, (direct.get(error) ?? 0) + 1);
      else if (error instanceof ScopeDiedError && this.crashes.has(error.cause as Error)) {
        died.set(error.cause, (died.get(error.cause) ?? 0) + 1);
      } else expect.fail(`unexpected error ${String(error)} reported by ${via}`);
    }
    for (const crash of this.crashes) {
      const d = direct.get(crash) ?? 0;
      const n = died.get(crash) ?? 0;
      expect(d + Math.min(n, 1), `${crash.message}: reported once, or to each scope it reached`).to.equal(1);
    }
  }
}
