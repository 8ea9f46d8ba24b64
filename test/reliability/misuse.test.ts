// Misuse and bad input: each gets a typed error with its code, the container stays consistent and usable
// afterwards (a normal resolve works, inspect() shows what it should), and nothing leaks.
import { expect } from "chai";
import {
  ConfigurationError,
  Container,
  Lifetime,
  onInit,
  onNoMoreDependents,
  scopedService,
  ScopeClosedError,
  type Scope,
} from "asyncscope";
import { loggedContainer, settle } from "../support/helpers.js";

const BAD_TOKENS: [string, unknown][] = [
  ["undefined", undefined],
  ["null", null],
  ["a number", 42],
  ["NaN", NaN],
  ["a boolean", true],
  ["a plain object", { name: "db" }],
  ["an array", ["db"]],
  ["a promise", Promise.resolve("db")],
];

/** A container with one shared service "ok" that counts its creations and disposals. */
function healthyContainer() {
  const { c, logger } = loggedContainer({ name: "app" });
  const counts = { created: 0, disposed: 0 };
  c.register("ok", {
    useFactory: async () => {
      counts.created++;
      return { [Symbol.asyncDispose]: async () => void counts.disposed++ };
    },
  });
  return { c, logger, counts };
}

/** The container still works: a fresh scope resolves "ok", and once closed nothing is alive. */
async function expectUsable(c: Container, counts: { created: number; disposed: number }): Promise<void> {
  const before = { ...counts };
  const q = c.createScope("after-misuse");
  await q.resolve("ok");
  const live = c.inspect().instances;
  expect(live.map((i) => [i.token, i.state, i.refCount])).to.deep.equal([["ok", "ready", 1]]);
  await q.close();
  expect(c.inspect().instances, "nothing alive after close").to.deep.equal([]);
  expect(counts).to.deep.equal({ created: before.created + 1, disposed: before.disposed + 1 });
}

/** Run `fn`, which must throw synchronously or reject, and return the error. */
async function failure(fn: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    return err;
  }
  const settled = await settle(Promise.resolve(result));
  if (settled.ok) throw new Error(`expected a failure, got ${String(settled.value)}`);
  return settled.error;
}

function expectCode(err: unknown, cls: abstract new (...args: never[]) => Error, code: string): void {
  expect(err).to.be.instanceOf(cls);
  expect((err as { code?: string }).code).to.equal(code);
}

describe("misuse and bad input", () => {
  describe("invalid tokens", () => {
    for (const [what, bad] of BAD_TOKENS) {
      it(`${what} is a ConfigurationError for register, resolve, resolveAll, lookup, release and isRegistered`, async () => {
        const { c, logger, counts } = healthyContainer();
        const q = c.createScope("q");
        const calls: [string, () => unknown][] = [
          ["register", () => c.register(bad as never, { useValue: 1 })],
          ["container.resolve", () => c.resolve(bad as never)],
          ["resolve", () => q.resolve(bad as never)],
          ["resolveAll", () => q.resolveAll(bad as never)],
          ["lookup", () => q.lookup(bad as never)],
          ["release", () => q.release(bad as never)],
          ["isRegistered", () => c.isRegistered(bad as never)],
          ["useExisting", () => c.register("alias", { useExisting: bad as never })],
        ];
        // (An array in dependsOn is a parallel group, whose members are the tokens.)
        if (!Array.isArray(bad)) {
          calls.push(["dependsOn", () => c.register("dep", { useValue: 1 }, { dependsOn: [bad as never] })]);
        }
        for (const [call, fn] of calls) {
          const err = await failure(fn);
          expectCode(err, ConfigurationError, "ERR_CONFIG");
          expect((err as Error).message, call).to.contain("not a valid token");
        }
        expect(c.isRegistered("alias")).to.equal(false);
        expect(c.isRegistered("dep")).to.equal(false);
        expect(q.state).to.equal("open");
        await q.close();
        await expectUsable(c, counts);
        await c.close();
        expect(logger.entries).to.deep.equal([]);
      });
    }

    it("a constructor parameter whose token is a bad value fails that resolve only", async () => {
      const { c, counts } = healthyContainer();
      class NeedsNumber {
        static inject = [42];
        constructor(readonly n: unknown) {}
      }
      const err = await failure(() => c.createScope().resolve(NeedsNumber));
      expectCode(err, ConfigurationError, "ERR_CONFIG");
      expect((err as Error).message).to.contain("NeedsNumber constructor parameter 0");
      await expectUsable(c, counts);
      await c.close();
    });
  });

  describe("use after close", () => {
    it("register, createScope and resolve on a closed container are ScopeClosedError", async () => {
      const { c, logger } = healthyContainer();
      await c.close();
      for (const fn of [
        () => c.register("late", { useValue: 1 }),
        () => c.createScope(),
        () => c.resolve("ok"),
        () => c.withScope(() => 1),
        () => c.root.spawn(() => 1),
      ]) {
        expectCode(await failure(fn), ScopeClosedError, "ERR_SCOPE_CLOSED");
      }
      expect(c.isRegistered("late")).to.equal(false);
      expect(c.inspect()).to.deep.equal({ scopes: [], instances: [] });
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });

    it("every call that starts work on a closed scope is ScopeClosedError; release, cancel and close are no-ops", async () => {
      const { c, counts, logger } = healthyContainer();
      const q = c.createScope("done");
      await q.resolve("ok");
      await q.close();
      let ran = false;
      const calls: [string, () => unknown][] = [
        ["resolve", () => q.resolve("ok")],
        ["resolveAll", () => q.resolveAll("ok")],
        ["lookup", () => q.lookup("ok")],
        ["createScope", () => q.createScope()],
        ["fork", () => q.fork()],
        ["withScope", () => q.withScope(() => void (ran = true))],
        ["spawn", () => q.spawn(() => void (ran = true))],
        ["start", () => q.start(async () => void (ran = true))],
        ["timeoutMs", () => (q.timeoutMs = 10)],
      ];
      for (const [call, fn] of calls) {
        const err = await failure(fn);
        expectCode(err, ScopeClosedError, "ERR_SCOPE_CLOSED");
        expect((err as Error).message, call).to.contain('scope "done" is closed');
      }
      expect(ran).to.equal(false);
      await q.release("ok");
      q.cancel(new Error("too late"));
      await q.close();
      expect(q.state).to.equal("closed");
      await expectUsable(c, counts);
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });

    it("a scope whose parent closed refuses work too", async () => {
      const { c, counts } = healthyContainer();
      const parent = c.createScope("parent");
      const child = parent.createScope("child");
      await child.resolve("ok");
      await parent.close();
      expect(child.state).to.equal("closed");
      expectCode(await failure(() => child.resolve("ok")), ScopeClosedError, "ERR_SCOPE_CLOSED");
      expect(counts.disposed).to.equal(1);
      await expectUsable(c, counts);
      await c.close();
    });
  });

  describe("release", () => {
    it("of unknown tokens, of tokens never held, and more often than acquired is a silent no-op", async () => {
      const { c, counts, logger } = healthyContainer();
      const q = c.createScope("q");
      await q.release("never-registered");
      await q.release(Symbol("unknown"));
      await q.release(class Unknown {});
      await q.release("ok");
      await q.resolve("ok");
      await q.release("ok");
      await q.release("ok");
      expect(counts).to.deep.equal({ created: 1, disposed: 1 });
      expect(c.inspect().instances).to.deep.equal([]);
      await q.close();
      await expectUsable(c, counts);
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });
  });

  describe("useService", () => {
    it("calling register() twice fails the resolve with ConfigurationError; nothing stays registered", async () => {
      const { c, counts, logger } = healthyContainer();
      let cleanedUp = 0;
      c.register("twice", {
        useService: async (svc) => {
          svc.register({ n: 1 });
          svc.register({ n: 2 });
          await svc.noMoreDependents();
          cleanedUp++;
        },
      });
      const q = c.createScope("q");
      const err = await failure(() => q.resolve("twice"));
      expectCode(err, ConfigurationError, "ERR_CONFIG");
      expect((err as Error).message).to.contain("twice: register() was called twice");
      expect(c.inspect().instances).to.deep.equal([]);
      expect(q.state).to.equal("open");
      // The next resolve starts afresh, and fails the same way.
      expectCode(await failure(() => q.resolve("twice")), ConfigurationError, "ERR_CONFIG");
      await q.close();
      expect(cleanedUp).to.equal(0);
      await expectUsable(c, counts);
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });

    it("a second register() that the function catches changes nothing: the first value stays", async () => {
      const { c, counts } = healthyContainer();
      const caught: unknown[] = [];
      c.register("careful", {
        useService: async (svc) => {
          svc.register("first");
          try {
            svc.register("second");
          } catch (err) {
            caught.push(err);
          }
          await svc.noMoreDependents();
        },
      });
      const q = c.createScope("q");
      expect(await q.resolve("careful")).to.equal("first");
      expect(caught).to.have.length(1);
      expectCode(caught[0], ConfigurationError, "ERR_CONFIG");
      await q.close();
      expect(c.inspect().instances).to.deep.equal([]);
      await expectUsable(c, counts);
      await c.close();
    });

    it("a function that never registers fails every waiter with ConfigurationError", async () => {
      const { c, counts, logger } = healthyContainer();
      c.register("silent", { useService: async () => undefined });
      const [a, b] = await Promise.all([
        settle(c.createScope("a").resolve("silent")),
        settle(c.createScope("b").resolve("silent")),
      ]);
      const err = (a as { error: unknown }).error;
      expectCode(err, ConfigurationError, "ERR_CONFIG");
      expect((err as Error).message).to.contain(
        "silent: the useService function returned without calling register()",
      );
      expect((b as { error: unknown }).error).to.equal(err);
      expect(c.inspect().instances).to.deep.equal([]);
      await expectUsable(c, counts);
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });

    it("register() and noMoreDependents() outside a useService function are ConfigurationError", async () => {
      const { c, counts } = healthyContainer();
      let scope: Scope | undefined;
      c.register("plain", {
        useFactory: (ctx) => {
          scope = ctx.scope;
          return {};
        },
      });
      const q = c.createScope();
      await q.resolve("plain");
      const svc = scope as unknown as { register(v: unknown): void; noMoreDependents(): Promise<void> };
      expectCode(await failure(() => svc.register(1)), ConfigurationError, "ERR_CONFIG");
      expectCode(await failure(() => svc.noMoreDependents()), ConfigurationError, "ERR_CONFIG");
      await q.close();
      await expectUsable(c, counts);
      await c.close();
    });
  });

  describe("decorators on what they cannot decorate", () => {
    it("@scopedService on a method (legacy and TC39), a plain object, a function call result", () => {
      class Host {
        method(): void {}
      }
      const descriptor = Object.getOwnPropertyDescriptor(Host.prototype, "method");
      const decorate = scopedService("x") as unknown as (...args: unknown[]) => unknown;
      const attempts: [string, () => unknown][] = [
        ["legacy method", () => decorate(Host.prototype, "method", descriptor)],
        ["TC39 method", () => decorate(Host.prototype.method, { kind: "method", name: "method" })],
        ["plain object", () => decorate({ name: "db" })],
        ["undefined", () => decorate(undefined)],
        ["TC39 field", () => decorate(undefined, { kind: "field", name: "f" })],
      ];
      for (const [what, fn] of attempts) {
        expect(fn, what).to.throw(ConfigurationError, /can only decorate a class/);
      }
      const c = new Container();
      expect(c.isRegistered("x")).to.equal(false);
    });

    it("@onInit and @onNoMoreDependents on a field, an accessor, a static member or a class", () => {
      class Host {
        field = 1;
        get accessor(): number {
          return 1;
        }
      }
      for (const [name, decorator] of [
        ["onInit", onInit()],
        ["onNoMoreDependents", onNoMoreDependents()],
      ] as const) {
        const attempts: [string, () => unknown][] = [
          ["legacy field", () => decorator(Host.prototype, "field", undefined)],
          [
            "legacy accessor",
            () =>
              decorator(
                Host.prototype,
                "accessor",
                Object.getOwnPropertyDescriptor(Host.prototype, "accessor"),
              ),
          ],
          ["a class", () => decorator(Host)],
          ["a plain object", () => decorator({}, "m", { value: 1 })],
          ["a static method", () => decorator(Host, "m", { value: () => 1 })],
        ];
        for (const [what, fn] of attempts) {
          expect(fn, `${name} on ${what}`).to.throw(
            ConfigurationError,
            /can only decorate an instance method/,
          );
        }
      }
    });

    it("@scopedService with a token that is not a string or symbol, or with bad options, throws before any class", () => {
      expect(() => scopedService(42 as never)).to.throw(
        ConfigurationError,
        /token must be a string or a symbol/,
      );
      expect(() => scopedService({} as never)).to.throw(ConfigurationError);
      expect(() => scopedService("y", { lifetime: "eternal" as never })).to.throw(
        ConfigurationError,
        /lifetime/,
      );
      expect(() => scopedService("y", { dependsOn: "db" as never })).to.throw(
        ConfigurationError,
        /must be an array/,
      );
    });
  });

  describe("dependsOn nested too deep", () => {
    const deep: [string, unknown][] = [
      ["three levels", [["a", ["b"]]]],
      ["three levels after a sequential step", ["a", ["b", ["c", "d"]]]],
      ["four levels", [[[["a"]]]]],
    ];
    for (const [what, list] of deep) {
      it(`${what} is a ConfigurationError at registration, by register and by @scopedService`, async () => {
        const { c, counts, logger } = healthyContainer();
        for (const t of ["a", "b", "c", "d"]) c.register(t, { useValue: t });
        const err = await failure(() =>
          c.register("deep", { useFactory: () => 1 }, { dependsOn: list as never }),
        );
        expectCode(err, ConfigurationError, "ERR_CONFIG");
        expect((err as Error).message).to.contain("only two levels are allowed");
        expect(() => scopedService("deep", { dependsOn: list as never })).to.throw(
          ConfigurationError,
          /two levels/,
        );
        expect(c.isRegistered("deep")).to.equal(false);
        await expectUsable(c, counts);
        await c.close();
        expect(logger.entries).to.deep.equal([]);
      });
    }
  });

  describe("bad values where a function or a time is expected", () => {
    it("spawn, withScope, start and timeouts reject bad input with a typed error and run nothing", async () => {
      const { c, counts } = healthyContainer();
      const q = c.createScope("q");
      expect(() => q.spawn(42 as never)).to.throw(TypeError, /fn must be a function/);
      expect(() => q.spawn(() => 1, "fast" as never)).to.throw(TypeError, /options must be an object/);
      expect(await failure(() => q.withScope(null as never))).to.be.instanceOf(TypeError);
      expect(await failure(() => q.start(undefined as never))).to.be.instanceOf(TypeError);
      for (const bad of [-1, NaN, -Infinity, "10"]) {
        expectCode(await failure(() => (q.timeoutMs = bad as never)), ConfigurationError, "ERR_CONFIG");
        expectCode(
          await failure(() => q.spawn(() => 1, { cancelTimeoutMs: bad as never })),
          ConfigurationError,
          "ERR_CONFIG",
        );
        expectCode(
          await failure(() => c.register("t", { useValue: 1 }, { disposeTimeoutMs: bad as never })),
          ConfigurationError,
          "ERR_CONFIG",
        );
        expect(() => new Container({ defaultDisposeTimeoutMs: bad as never })).to.throw(ConfigurationError);
      }
      expectCode(
        await failure(() =>
          c.register("k", { useFactory: () => 1 }, { lifetime: Lifetime.Transient, keepAliveMs: 5 }),
        ),
        ConfigurationError,
        "ERR_CONFIG",
      );
      expect(q.state).to.equal("open");
      expect(q.timeoutMs).to.equal(undefined);
      await q.close();
      await expectUsable(c, counts);
      await c.close();
    });
  });
});
