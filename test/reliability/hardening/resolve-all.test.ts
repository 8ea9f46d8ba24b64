// Issue 12: a failed resolveAll keeps nothing. It is all-or-nothing: when one provider fails, the references
// it took for the providers that did resolve are released, last acquired first, before it rejects (with the
// failure first, then any error of those releases).
import { expect } from "chai";
import fc from "fast-check";
import { Lifetime, type Lifetime as LifetimeT } from "asyncscope";
import { flattenErrors } from "../../support/helpers.js";
import { loggedContainer, propertyOptions, settle } from "./gates.js";
import { closeCleanly } from "./support.js";

const providersArb = fc.array(
  fc.record({
    lifetime: fc.constantFrom<LifetimeT>(Lifetime.Shared, Lifetime.Scoped, Lifetime.Transient),
    fails: fc.boolean().map((b) => b && Math.random() < 0.4),
    async: fc.boolean(),
  }),
  { minLength: 1, maxLength: 5 },
);

describe("hardening: a failed resolveAll keeps nothing (issue 12)", () => {
  it("property: a resolveAll that rejects leaves its scope holding nothing of it; one that succeeds holds one each", async () => {
    await fc.assert(
      fc.asyncProperty(providersArb, async (providers) => {
        const { c, logger } = loggedContainer();
        const log: string[] = [];
        const errors: Error[] = [];
        providers.forEach((p, i) => {
          c.register(
            "plugin",
            {
              useFactory: async () => {
                if (p.async) await Promise.resolve();
                if (p.fails) {
                  const e = new Error(`P${i} fails`);
                  errors.push(e);
                  throw e;
                }
                return { i, [Symbol.asyncDispose]: () => void log.push(`P${i}:dispose`) };
              },
            },
            { lifetime: p.lifetime },
          );
        });
        const q = c.createScope("q");
        const got = await settle(q.resolveAll("plugin"));
        const failAt = providers.findIndex((p) => p.fails);
        if (failAt < 0) {
          expect(got.ok).to.equal(true);
          expect(log).to.deep.equal([]);
          await q.close();
          expect([...log].sort()).to.deep.equal(providers.map((_, i) => `P${i}:dispose`).sort());
        } else {
          expect(got.ok).to.equal(false);
          expect(flattenErrors((got as { error: unknown }).error)).to.deep.equal([errors[0]]);
          // Released in reverse order, before the call rejected: nothing is held any more (a scoped
          // instance stays with its scope, held by no one, until the scope closes).
          const before = providers
            .slice(0, failAt)
            .map((p, i) => ({ ...p, i }))
            .reverse();
          expect(log).to.deep.equal(
            before.filter((p) => p.lifetime !== Lifetime.Scoped).map((p) => `P${p.i}:dispose`),
          );
          expect(c.inspect().instances.map((i) => [i.lifetime, i.refCount])).to.deep.equal(
            before
              .filter((p) => p.lifetime === Lifetime.Scoped)
              .reverse()
              .map(() => [Lifetime.Scoped, 0]),
          );
          await q.close();
        }
        expect(await closeCleanly(c, logger)).to.deep.equal([]);
      }),
      propertyOptions(100),
    );
  });

  it("a resolveAll whose third provider fails releases the first two, second first, and rejects with that error", async () => {
    const { c, logger } = loggedContainer();
    const log: string[] = [];
    const boom = new Error("third fails");
    for (const name of ["one", "two"]) {
      c.register("plugin", {
        useFactory: () => ({ [Symbol.asyncDispose]: () => void log.push(`${name}:dispose`) }),
      });
    }
    c.register("plugin", {
      useFactory: () => {
        throw boom;
      },
    });
    const q = c.createScope("q");
    expect(await settle(q.resolveAll("plugin"))).to.deep.equal({ ok: false, error: boom });
    expect(log).to.deep.equal(["two:dispose", "one:dispose"]);
    expect(c.inspect().instances).to.deep.equal([]);
    await q.close();
    expect(await closeCleanly(c, logger)).to.deep.equal([]);
  });
});
