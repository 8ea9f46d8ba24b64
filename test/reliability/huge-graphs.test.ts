// Huge graphs: 10,000-deep chains must not overflow the stack and 100,000-wide fan-outs must stay linear,
// for resolve and for dispose; afterwards the container is consistent, usable and empty.
import { expect } from "chai";
import {
  CancelledError,
  Container,
  Lifetime,
  type Constructor,
  type Lifetime as LifetimeT,
} from "asyncscope";
import { loggedContainer, settle, wait } from "../support/helpers.js";

const DEEP = 10_000;
const WIDE = 100_000;
/** Linear work takes a second or two here; the quadratic bookkeeping these guard against took 20–40 s. */
const LINEAR_MS = 15_000;

/** A container whose logger must stay silent, and a tally of what its services disposed, in order. */
function setup() {
  const { c, logger } = loggedContainer();
  const disposed: number[] = [];
  const done = async (): Promise<void> => {
    expect(c.inspect().instances, "nothing alive").to.deep.equal([]);
    if (c.root.state === "open") {
      // Still usable afterwards.
      c.register("after", { useValue: 1 });
      expect(await c.resolve("after")).to.equal(1);
      await c.close();
    }
    expect(c.inspect()).to.deep.equal({ scopes: [], instances: [] });
    expect(logger.entries).to.deep.equal([]);
  };
  return { c, disposed, done };
}

/**
 * Resolve the top of a chain, check every link, close (the container too, for singletons), and check it
 * was disposed top first.
 */
async function resolveAndDispose(c: Container, top: unknown, disposed: number[]): Promise<void> {
  const q = c.createScope("deep");
  let link = (await q.resolve(top as string)) as { i: number; dep?: unknown };
  expect(link.i).to.equal(DEEP - 1);
  for (let i = DEEP - 1; i > 0; i--) link = link.dep as { i: number; dep?: unknown };
  expect(link.i).to.equal(0);
  const instances = c.inspect().instances;
  expect(instances).to.have.length(DEEP);
  await q.close();
  if (instances[0]!.lifetime === Lifetime.Singleton) {
    expect(disposed, "singletons stay until the container closes").to.deep.equal([]);
    await c.close();
  }
  expect(disposed).to.have.length(DEEP);
  expect(
    disposed.every((v, k) => v === DEEP - 1 - k),
    "dependents before dependencies",
  ).to.equal(true);
}

describe("huge graphs", function () {
  this.timeout(120_000);

  describe(`a ${DEEP.toLocaleString("en")}-deep chain resolves and disposes without overflowing the stack`, () => {
    const lifetimes: LifetimeT[] = [Lifetime.Transient, Lifetime.Shared, Lifetime.Scoped, Lifetime.Singleton];
    for (const lifetime of lifetimes) {
      for (const async of [false, true]) {
        it(`of ${async ? "async" : "synchronous"} ${lifetime} factories (dependsOn)`, async () => {
          const { c, disposed, done } = setup();
          for (let i = 0; i < DEEP; i++) {
            const make = (deps: unknown[]) => ({ i, dep: deps[0], dispose: () => void disposed.push(i) });
            c.register(
              `n${i}`,
              { useFactory: async ? async (ctx) => make(ctx.deps) : (ctx) => make(ctx.deps) },
              { lifetime, dependsOn: i === 0 ? [] : [`n${i - 1}`] },
            );
          }
          await resolveAndDispose(c, `n${DEEP - 1}`, disposed);
          await done();
        });
      }
    }

    for (const lifetime of [Lifetime.Transient, Lifetime.Shared]) {
      it(`of ${lifetime} classes injected through their constructors`, async () => {
        const { c, disposed, done } = setup();
        let previous: Constructor | undefined;
        for (let i = 0; i < DEEP; i++) {
          const Link = class {
            static inject = previous ? [previous] : [];
            readonly i = i;
            constructor(readonly dep?: unknown) {}
            dispose(): void {
              disposed.push(this.i);
            }
          };
          c.register(Link, { useClass: Link }, { lifetime });
          previous = Link;
        }
        await resolveAndDispose(c, previous, disposed);
        await done();
      });
    }
  });

  describe(`a ${WIDE.toLocaleString("en")}-wide fan-out stays linear`, () => {
    for (const parallel of [false, true]) {
      it(`one service depending on ${WIDE.toLocaleString("en")} async services, ${parallel ? "in one parallel group" : "one after another"}`, async () => {
        const { c, disposed, done } = setup();
        const names: string[] = [];
        for (let i = 0; i < WIDE; i++) {
          names.push(`leaf${i}`);
          c.register(`leaf${i}`, { useFactory: async () => ({ dispose: () => void disposed.push(i) }) });
        }
        c.register(
          "fan",
          { useFactory: (ctx) => ({ width: ctx.deps.length, dispose: () => void disposed.push(-1) }) },
          { dependsOn: parallel ? [names] : names },
        );
        const q = c.createScope("fan");
        const t0 = performance.now();
        expect(await q.resolve("fan")).to.include({ width: WIDE });
        expect(performance.now() - t0).to.be.lessThan(LINEAR_MS);
        expect(c.inspect().instances).to.have.length(WIDE + 1);
        await q.close();
        expect(disposed).to.have.length(WIDE + 1);
        expect(disposed[0], "the dependent first").to.equal(-1);
        await done();
      });
    }

    it(`${WIDE.toLocaleString("en")} scopes hold one shared service, which is disposed after the last lets go`, async () => {
      const { c, disposed, done } = setup();
      c.register("shared", { useFactory: async () => ({ dispose: () => void disposed.push(0) }) });
      const scopes = Array.from({ length: WIDE }, (_, i) => c.createScope(`holder${i}`));
      const t0 = performance.now();
      const values = await Promise.all(scopes.map((q) => q.resolve("shared")));
      expect(new Set(values).size).to.equal(1);
      const [info] = c.inspect().instances;
      expect([info!.refCount, info!.holders.length]).to.deep.equal([WIDE, WIDE]);
      await Promise.all(scopes.slice(0, -1).map((q) => q.close()));
      expect(disposed).to.deep.equal([]);
      await scopes.at(-1)!.close();
      expect(performance.now() - t0).to.be.lessThan(LINEAR_MS);
      expect(disposed).to.deep.equal([0]);
      await done();
    });

    it(`${WIDE.toLocaleString("en")} scopes waiting for one starting service all give up: the creation is aborted`, async () => {
      const { c, done } = setup();
      let aborted = 0;
      c.register("slow", {
        useFactory: async (ctx) => {
          try {
            await wait(60_000, ctx.signal);
          } catch (err) {
            aborted++;
            throw err;
          }
          return {};
        },
      });
      const scopes = Array.from({ length: WIDE }, (_, i) => c.createScope(`w${i}`));
      const waits = scopes.map((q) => settle(q.resolve("slow")));
      const t0 = performance.now();
      await Promise.all(scopes.map((q) => q.close()));
      const results = await Promise.all(waits);
      expect(performance.now() - t0).to.be.lessThan(LINEAR_MS);
      expect(results.every((r) => !r.ok && r.error instanceof CancelledError)).to.equal(true);
      await wait(1);
      expect(aborted).to.equal(1);
      await done();
    });
  });
});
