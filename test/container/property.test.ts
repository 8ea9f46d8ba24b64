// Property: for random dependency graphs (shared/scoped/transient/singleton services, random scopes holding
// random services, random failing factories and disposers), after every run:
// - each created instance is disposed exactly once, never before one of its dependents;
// - nothing is alive after container.close();
// - every error a disposer threw is present in what close(), release() or a failed resolve reported.
import { expect } from "chai";
import fc from "fast-check";
import { Container, Lifetime, type Lifetime as LifetimeT, type Scope } from "asyncscope";
import { delay, flattenErrors, propertyOptions, recordingLogger } from "../support/helpers.js";

interface ServiceSpec {
  lifetime: LifetimeT;
  deps: number[];
  parallel: boolean;
  failCreate: boolean;
  failDispose: boolean;
  createDelay: number;
  disposeDelay: number;
}

const serviceSpec = (index: number): fc.Arbitrary<ServiceSpec> =>
  fc.record({
    lifetime: fc.constantFrom<LifetimeT>(
      Lifetime.Shared,
      Lifetime.Scoped,
      Lifetime.Transient,
      Lifetime.Singleton,
    ),
    deps: index === 0 ? fc.constant([]) : fc.uniqueArray(fc.nat(index - 1), { maxLength: 3 }),
    parallel: fc.boolean(),
    failCreate: fc.boolean().map((b) => b && Math.random() < 0.3),
    failDispose: fc.boolean().map((b) => b && Math.random() < 0.3),
    createDelay: fc.nat(2),
    disposeDelay: fc.nat(2),
  });

const graph = fc
  .integer({ min: 1, max: 7 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => serviceSpec(i))));

const plan = (n: number) =>
  fc.array(
    fc.record({
      resolves: fc.array(fc.nat(n - 1), { maxLength: 4 }),
      releases: fc.array(fc.nat(n - 1), { maxLength: 2 }),
      closeEarly: fc.boolean(),
    }),
    { minLength: 1, maxLength: 4 },
  );

describe("property: random dependency graphs", () => {
  it("dispose each instance exactly once, dependents first, nothing alive after close, no error lost", async () => {
    await fc.assert(
      fc.asyncProperty(
        graph.chain((specs) => fc.tuple(fc.constant(specs), plan(specs.length))),
        async ([specs, scopesPlan]) => {
          const c = new Container({ logger: recordingLogger() });
          const created: {
            id: number;
            name: string;
            deps: number[];
            disposed: number;
            disposedAt: number;
          }[] = [];
          const thrown = new Set<unknown>();
          const reported = new Set<unknown>();
          let clock = 0;
          specs.forEach((spec, i) => {
            const name = `S${i}`;
            const dependsOn = spec.deps.map((d) => `S${d}`);
            c.register(
              name,
              {
                useFactory: async (ctx) => {
                  if (spec.createDelay) await delay(spec.createDelay);
                  if (spec.failCreate) throw new Error(`create ${name}`);
                  const rec = {
                    id: created.length,
                    name,
                    deps: (ctx.deps as { id: number }[]).map((d) => d.id),
                    disposed: 0,
                    disposedAt: -1,
                  };
                  created.push(rec);
                  return {
                    id: rec.id,
                    async [Symbol.asyncDispose]() {
                      rec.disposed++;
                      rec.disposedAt = ++clock;
                      if (spec.disposeDelay) await delay(spec.disposeDelay);
                      if (spec.failDispose) {
                        const e = new Error(`dispose ${name}#${rec.id}`);
                        thrown.add(e);
                        throw e;
                      }
                    },
                  };
                },
              },
              {
                lifetime: spec.lifetime,
                ...(dependsOn.length ? { dependsOn: spec.parallel ? [dependsOn] : dependsOn } : {}),
              },
            );
          });
          const collect = async (p: Promise<unknown>): Promise<void> => {
            try {
              await p;
            } catch (err) {
              for (const e of flattenErrors(err)) reported.add(e);
            }
          };
          const scopes: Scope[] = [];
          await Promise.all(
            scopesPlan.map(async (step, i) => {
              const q = c.createScope(`q${i}`);
              scopes.push(q);
              // A failed creation reports the teardown errors of what it had acquired to its resolver.
              await Promise.all(step.resolves.map((s) => collect(q.resolve(`S${s}`))));
              for (const s of step.releases) await collect(q.release(`S${s}`));
              if (step.closeEarly) await collect(q.close());
            }),
          );
          for (const q of scopes) await collect(q.close());
          await collect(c.close());

          expect(c.inspect().instances, "nothing alive").to.deep.equal([]);
          for (const inst of created)
            expect(inst.disposed, `${inst.name}#${inst.id} disposed once`).to.equal(1);
          for (const inst of created) {
            for (const d of inst.deps) {
              expect(
                created[d]!.disposedAt,
                `${created[d]!.name} after its dependent ${inst.name}`,
              ).to.be.greaterThan(inst.disposedAt);
            }
          }
          for (const e of thrown) expect(reported.has(e), `${(e as Error).message} reported`).to.equal(true);
        },
      ),
      propertyOptions(150),
    );
  });
});
