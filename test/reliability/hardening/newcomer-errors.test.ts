// Errors a newcomer hits name their cause (issue 15):
// - a class whose constructor parameters have no type metadata (emitDecoratorMetadata off) is a
//   ConfigurationError (or, unregistered, a ResolutionError) that says to turn the option on or to declare
//   `static inject`, never a silent `undefined` dependency;
// - work on a closed container says the container is closed and a new Container is needed;
// - a creation that throws: every waiter receives the thrown value itself (SEMANTICS 2.2), and
//   `resolutionInfo(error)` gives the token and the resolution path beside it, for any thrown value.
import { expect } from "chai";
import fc from "fast-check";
import {
  ConfigurationError,
  Container,
  inject,
  injectable,
  Lifetime,
  resolutionInfo,
  ResolutionError,
  ScopeClosedError,
  scopedService,
  type Lifetime as LifetimeT,
} from "asyncscope";
import { delay, propertyOptions, recordingLogger } from "../../support/helpers.js";

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
const settle = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

// Classes written without decorators: the compiler emits no design:paramtypes for them, as for every class
// when emitDecoratorMetadata is off. The decorators are applied by hand below.
function classWithParams(n: number, name: string): new (...args: unknown[]) => { args: unknown[] } {
  const cls = {
    [name]: class {
      readonly args: unknown[];
      constructor(...args: unknown[]) {
        this.args = args;
      }
    },
  }[name]!;
  // A rest parameter has length 0; give it the arity a real constructor has.
  Object.defineProperty(cls, "length", { value: n });
  return cls;
}

class Dep {}

describe("hardening: errors a newcomer hits name their cause", () => {
  describe("missing design:paramtypes", () => {
    it("@scopedService on a class without metadata: a ConfigurationError naming emitDecoratorMetadata and static inject, not undefined dependencies", async () => {
      class Repo {
        constructor(readonly db: unknown) {}
      }
      scopedService()(Repo);
      const c = new Container();
      const got = await settle(c.createScope().resolve(Repo));
      expect(got.ok).to.equal(false);
      const err = (got as { error: unknown }).error as ConfigurationError;
      expect(err).to.be.instanceOf(ConfigurationError);
      expect(err.code).to.equal("ERR_CONFIG");
      expect(err.message).to.equal(
        'Repo takes 1 constructor parameter(s) but has no type metadata for them (design:paramtypes). Turn on "emitDecoratorMetadata" and "experimentalDecorators" in tsconfig.json (and decorate the class with @scopedService or @injectable), or declare static inject = [TokenA, TokenB] on the class.',
      );
      await c.close();
    });

    it("@injectable on a class without metadata: the ResolutionError says the metadata is missing, not only 'decorate it'", async () => {
      class Handler {
        constructor(readonly repo: unknown) {}
      }
      injectable()(Handler);
      const c = new Container();
      const got = await settle(c.createScope().resolve(Handler));
      const err = (got as { error: unknown }).error as ResolutionError;
      expect(err).to.be.instanceOf(ResolutionError);
      expect(err.message).to.equal(
        'No provider for class Handler. Handler takes 1 constructor parameter(s) but has no type metadata for them (design:paramtypes). Turn on "emitDecoratorMetadata" and "experimentalDecorators" in tsconfig.json (and decorate the class with @scopedService or @injectable), or declare static inject = [TokenA, TokenB] on the class. Resolution path: Handler',
      );
      await c.close();
    });

    it("a class whose every parameter has @inject needs no metadata; static inject neither", async () => {
      class Named {
        constructor(readonly dep: unknown) {}
      }
      inject(Dep)(Named, undefined, 0);
      class Declared {
        static inject = [Dep] as const;
        constructor(readonly dep: unknown) {}
      }
      const c = new Container();
      const s = c.createScope();
      expect((await s.resolve(Named)).dep).to.be.instanceOf(Dep);
      expect((await s.resolve(Declared)).dep).to.be.instanceOf(Dep);
      await c.close();
    });

    it("property: a constructor without metadata resolves only when @inject names every parameter; else an error that names the cause", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 4 }).chain((n) =>
            fc.record({
              n: fc.constant(n),
              injected: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
              how: fc.constantFrom("scopedService", "injectable", "register", "bare"),
              lifetime: fc.constantFrom<LifetimeT>(
                Lifetime.Transient,
                Lifetime.Scoped,
                Lifetime.Shared,
                Lifetime.Singleton,
              ),
            }),
          ),
          async ({ n, injected, how, lifetime }) => {
            const cls = classWithParams(n, `Cls${n}`);
            injected.forEach((on, i) => {
              if (on) inject(Dep)(cls, undefined, i);
            });
            const c = new Container();
            if (how === "scopedService") scopedService(undefined, { lifetime })(cls);
            if (how === "injectable") injectable()(cls);
            if (how === "register") c.register(cls, { useClass: cls }, { lifetime });
            const got = await settle(c.createScope().resolve(cls));
            const all = injected.every(Boolean);
            const none = !injected.some(Boolean);
            if (all) {
              expect(got.ok).to.equal(true);
              const args = (got as { value: { args: unknown[] } }).value.args;
              expect(args).to.have.length(n);
              for (const a of args) expect(a).to.be.instanceOf(Dep);
            } else {
              expect(got.ok).to.equal(false);
              const err = (got as { error: Error & { code: string } }).error;
              const unregistered = none && (how === "injectable" || how === "bare");
              expect(err.code).to.equal(unregistered ? "ERR_UNREGISTERED" : "ERR_CONFIG");
              expect(err.message).to.contain(`takes ${n} constructor parameter(s) but has no type metadata`);
              expect(err.message).to.contain('"emitDecoratorMetadata"');
              expect(err.message).to.contain("static inject");
            }
            await c.close();
          },
        ),
        propertyOptions(40),
      );
    });
  });

  describe("use after container.close()", () => {
    it("says the container is closed and a new Container is needed, for every entry point", async () => {
      const c = new Container({ name: "app" });
      const request = c.createScope("request");
      await c.close();
      const attempts: [string, () => unknown][] = [
        ["createScope", () => c.createScope()],
        ["register", () => c.register("x", { useValue: 1 })],
        ["resolve on a scope of it", () => request.resolve("x")],
        ["root resolve", () => c.root.resolve("x")],
      ];
      for (const [what, attempt] of attempts) {
        let caught: unknown;
        try {
          await attempt();
        } catch (err) {
          caught = err;
        }
        expect(caught, what).to.be.instanceOf(ScopeClosedError);
        expect((caught as Error).message, what).to.match(
          /^Cannot .+: container "app" is closed, and so are all of its scopes\. Create a new Container for new work\.$/,
        );
      }
    });

    it("a closed scope of an open container still says to create a new scope", async () => {
      const c = new Container({ name: "app" });
      const s = c.createScope("request");
      await s.close();
      let caught: unknown;
      try {
        await s.resolve("x");
      } catch (err) {
        caught = err;
      }
      expect((caught as Error).message).to.equal(
        'Cannot resolve: scope "request" is closed. Create a new scope for new work.',
      );
      expect(() => c.createScope("next")).to.not.throw();
      await c.close();
    });
  });

  describe("a factory that throws: resolutionInfo", () => {
    it("every waiter receives the error itself, and resolutionInfo gives the token and the path", async () => {
      const c = new Container();
      const E = new Error("connect ECONNREFUSED");
      c.register("db", {
        useFactory: async () => {
          await delay(1);
          throw E;
        },
      });
      c.register("repo", { useFactory: () => ({}) }, { dependsOn: ["db"], lifetime: Lifetime.Scoped });
      c.register(
        "handler",
        { useFactory: () => ({}) },
        { dependsOn: ["repo"], lifetime: Lifetime.Transient },
      );
      const s1 = c.createScope();
      const s2 = c.createScope();
      const [a, b, d] = await Promise.all([
        settle(s1.resolve("handler")),
        settle(s2.resolve("handler")),
        settle(s2.resolve("db")),
      ]);
      for (const got of [a, b, d]) expect(got).to.deep.equal({ ok: false, error: E });
      expect((a as { error: unknown }).error).to.equal(E);
      expect(Object.keys(E)).to.deep.equal([]);
      expect(resolutionInfo(E)).to.deep.equal({ token: "db", path: ["handler", "repo", "db"] });
      expect(resolutionInfo(new Error("unrelated"))).to.equal(undefined);
      await c.close();
    });

    it("an abandoned creation's log line names the failing token and the path", async () => {
      const logger = recordingLogger();
      const c = new Container({ logger });
      const E = new Error("schema migration failed");
      c.register("db", {
        useFactory: async () => {
          await delay(5);
          throw E;
        },
      });
      c.register("repo", { useFactory: () => ({}) }, { dependsOn: ["db"] });
      const q = c.createScope("q");
      const got = settle(q.resolve("repo"));
      await delay(1);
      await q.close();
      expect(((await got) as { ok: boolean }).ok).to.equal(false);
      await delay(15);
      expect(logger.entries.map((e) => [e.level, e.msg, e.rest[0]])).to.deep.equal([
        [
          "warn",
          "Abandoned db failed (creating db; resolution path: repo -> db): Error: schema migration failed",
          E,
        ],
      ]);
      await c.close();
    });

    it("property: for any thrown value at any depth, each waiter gets that very value, unchanged, and objects carry their token and path", async () => {
      const hostile = [
        Object.freeze(new Error("frozen")),
        Object.create(null) as object,
        new Proxy(
          {},
          {
            get() {
              throw new Error("trap");
            },
            ownKeys() {
              throw new Error("trap");
            },
            getPrototypeOf() {
              throw new Error("trap");
            },
          },
        ),
        (() => {
          const r = Proxy.revocable({}, {});
          r.revoke();
          return r.proxy;
        })(),
        null,
        undefined,
        Symbol("thrown"),
        0,
        "",
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.anything().map((value) => ({ value })),
            fc.nat(hostile.length - 1).map((i) => ({ hostile: i })),
          ),
          fc.array(
            fc.constantFrom<LifetimeT>(
              Lifetime.Transient,
              Lifetime.Scoped,
              Lifetime.Shared,
              Lifetime.Singleton,
            ),
            { minLength: 1, maxLength: 4 },
          ),
          fc.boolean(),
          async (drawn, lifetimes, async) => {
            const thrown = "hostile" in drawn ? hostile[drawn.hostile] : drawn.value;
            const c = new Container({ logger: recordingLogger() });
            // A chain t0 -> t1 -> … -> tk: tk's factory throws. A shared/singleton link cannot hold a
            // scoped one (a captive dependency), so scoped links come first.
            const order = [...lifetimes].sort(
              (x, y) =>
                Number(x !== Lifetime.Scoped && x !== Lifetime.Transient) -
                Number(y !== Lifetime.Scoped && y !== Lifetime.Transient),
            );
            const names = order.map((_, i) => `t${i}`);
            order.forEach((lifetime, i) => {
              const last = i === order.length - 1;
              c.register(
                names[i]!,
                {
                  useFactory: last
                    ? async
                      ? async () => {
                          await Promise.resolve();
                          throw thrown;
                        }
                      : () => {
                          throw thrown;
                        }
                    : () => ({}),
                },
                { lifetime, dependsOn: last ? [] : [names[i + 1]!] },
              );
            });
            const before = typeof thrown === "object" && thrown !== null ? safeKeys(thrown) : undefined;
            const [a, b] = await Promise.all([
              settle(c.createScope().resolve(names[0]!)),
              settle(c.createScope().resolve(names[0]!)),
            ]);
            for (const got of [a, b]) {
              expect(got.ok).to.equal(false);
              expect(Object.is((got as { error: unknown }).error, thrown)).to.equal(true);
            }
            if ((typeof thrown === "object" && thrown !== null) || typeof thrown === "function") {
              expect(resolutionInfo(thrown)).to.deep.equal({ token: names.at(-1), path: names });
              if (before !== undefined) expect(safeKeys(thrown as object)).to.deep.equal(before);
            } else {
              expect(resolutionInfo(thrown)).to.equal(undefined);
            }
            await c.close();
          },
        ),
        propertyOptions(60),
      );
    });
  });
});

function safeKeys(value: object): unknown {
  try {
    return Reflect.ownKeys(value);
  } catch (err) {
    return err instanceof Error ? err.message : "throws";
  }
}
