// Issue 12, class 4: every probe of a user object is guarded. Reading `then`, a disposer, a hook, the
// constructor or any property of a user value can throw: while building, that is a failure of the instance
// (the resolver gets that very error, its dependencies are released, nothing is half-made, the next resolve
// starts afresh); while disposing, that is the disposal's error (its dependencies are still released).
import { expect } from "chai";
import fc from "fast-check";
import {
  Lifetime,
  onInit,
  onNoMoreDependents,
  type FactoryContext,
  type Lifetime as LifetimeT,
  type Provider,
} from "asyncscope";
import { container as tsyringeContainer } from "tsyringe";
import { loggedContainer, propertyOptions, settle } from "../../support/helpers.js";
import { closeCleanly, errorsOf, HANG, settleOrHang } from "./support.js";

type Key = string | symbol;
const KEYS: Key[] = [
  "then",
  Symbol.asyncDispose,
  Symbol.dispose,
  "dispose",
  "constructor",
  "init",
  "nmd",
  "x",
];

/** How a hostile value misbehaves. */
type Hostile =
  | { kind: "getter"; key: Key }
  | { kind: "proxyGet"; key: Key | "*" }
  | { kind: "proxyHas" }
  | { kind: "proxyProto" }
  | { kind: "proxyOwnKeys" }
  | { kind: "thenCalls" }
  | { kind: "hookedProxy"; key: Key };

const hostileArb: fc.Arbitrary<Hostile> = fc.oneof(
  fc.record({ kind: fc.constant("getter" as const), key: fc.constantFrom(...KEYS) }),
  fc.record({ kind: fc.constant("proxyGet" as const), key: fc.constantFrom<Key | "*">(...KEYS, "*") }),
  fc.constant({ kind: "proxyHas" as const }),
  fc.constant({ kind: "proxyProto" as const }),
  fc.constant({ kind: "proxyOwnKeys" as const }),
  fc.constant({ kind: "thenCalls" as const }),
  fc.record({ kind: fc.constant("hookedProxy" as const), key: fc.constantFrom(...KEYS) }),
);

/** A class with both hooks, to probe the hook lookups through a Proxy over one of its instances. */
class Hooked {
  @onInit()
  init(): void {}
  @onNoMoreDependents()
  nmd(): void {}
}

function hostile(h: Hostile, err: Error): object {
  switch (h.kind) {
    case "getter": {
      const o = {};
      Object.defineProperty(o, h.key, {
        get() {
          throw err;
        },
      });
      return o;
    }
    case "proxyGet":
      return new Proxy(
        {},
        {
          get(t, k) {
            if (h.key === "*" || k === h.key) throw err;
            return Reflect.get(t, k) as unknown;
          },
        },
      );
    case "proxyHas":
      return new Proxy(
        {},
        {
          has() {
            throw err;
          },
        },
      );
    case "proxyProto":
      return new Proxy(
        {},
        {
          getPrototypeOf() {
            throw err;
          },
        },
      );
    case "proxyOwnKeys":
      return new Proxy(
        {},
        {
          ownKeys() {
            throw err;
          },
          getOwnPropertyDescriptor() {
            throw err;
          },
        },
      );
    case "thenCalls":
      return {
        then() {
          throw err;
        },
      };
    case "hookedProxy":
      return new Proxy(new Hooked(), {
        get(t, k, r) {
          if (k === h.key) throw err;
          return Reflect.get(t, k, r) as unknown;
        },
      });
  }
}

/** Where the hostile value is handed to the engine. */
type Place = "value" | "disposerResult" | "nmdResult" | "initResult" | "fallbackDep";
type ProviderKind = "class" | "factorySync" | "factoryAsync" | "service";
type DepsVia = "inject" | "dependsOn" | "ctx";

interface Case {
  hostile: Hostile;
  place: Place;
  provider: ProviderKind;
  lifetime: LifetimeT;
  depsVia: DepsVia;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    hostile: hostileArb,
    place: fc.constantFrom<Place>(
      "value",
      "value",
      "disposerResult",
      "nmdResult",
      "initResult",
      "fallbackDep",
    ),
    provider: fc.constantFrom<ProviderKind>("class", "factorySync", "factoryAsync", "service"),
    lifetime: fc.constantFrom<LifetimeT>(
      Lifetime.Transient,
      Lifetime.Scoped,
      Lifetime.Shared,
      Lifetime.Singleton,
    ),
    depsVia: fc.constantFrom<DepsVia>("inject", "dependsOn", "ctx"),
  })
  .map((c) => ({
    ...c,
    // Constructor parameters only for classes, ctx.resolve only for factories; a singleton may not hold a
    // scoped dependency, so the dependencies are shared for it (see `setup`).
    depsVia:
      c.depsVia === "inject" && c.provider !== "class"
        ? "dependsOn"
        : c.depsVia === "ctx" && !c.provider.startsWith("factory")
          ? "dependsOn"
          : c.depsVia,
  }));

/** A value whose disposer (or @onNoMoreDependents hook) hands back the hostile object. */
function valueFor(c: Case, err: Error): object {
  if (c.place === "value") return hostile(c.hostile, err);
  if (c.place === "disposerResult") return { [Symbol.asyncDispose]: () => hostile(c.hostile, err) };
  if (c.place === "fallbackDep") return {};
  if (c.place === "initResult") {
    class WithInit {
      @onInit()
      init(): unknown {
        return hostile(c.hostile, err);
      }
    }
    return new WithInit();
  }
  class WithNmd {
    @onNoMoreDependents()
    nmd(): unknown {
      return hostile(c.hostile, err);
    }
  }
  return new WithNmd();
}

interface Counters {
  created: Map<string, number>;
  disposed: Map<string, number>;
}

function setup(c: Case, err: Error) {
  // A tsyringe container the engine falls back to: its values are the user's too (never disposed by us).
  const legacy = tsyringeContainer.createChildContainer();
  legacy.register("legacy", { useFactory: () => hostile(c.hostile, err) });
  const { c: container, logger } = loggedContainer({ fallback: legacy });
  const counters: Counters = { created: new Map(), disposed: new Map() };
  const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  const depLifetime =
    c.lifetime === Lifetime.Transient || c.lifetime === Lifetime.Scoped ? "scoped" : "shared";
  class Dep1 {
    constructor() {
      bump(counters.created, "Dep1");
    }
    [Symbol.asyncDispose](): void {
      bump(counters.disposed, "Dep1");
    }
  }
  class Dep2 {
    constructor() {
      bump(counters.created, "Dep2");
    }
    [Symbol.asyncDispose](): void {
      bump(counters.disposed, "Dep2");
    }
  }
  container.register(Dep1, { useClass: Dep1 }, { lifetime: depLifetime });
  container.register(Dep2, { useClass: Dep2 }, { lifetime: Lifetime.Shared });
  const dependsOn = c.depsVia === "dependsOn" ? { dependsOn: [Dep1, Dep2] } : {};
  const viaCtx = async (ctx: FactoryContext): Promise<void> => {
    if (c.depsVia === "ctx") {
      await ctx.resolve(Dep1);
      await ctx.resolve(Dep2);
    }
    if (c.place === "fallbackDep") await ctx.resolve("legacy");
  };
  let provider: Provider<unknown>;
  switch (c.provider) {
    case "class": {
      const make = (): object => valueFor(c, err);
      class H {
        static inject = [
          ...(c.depsVia === "inject" ? [Dep1, Dep2] : []),
          ...(c.place === "fallbackDep" ? ["legacy"] : []),
        ];
        constructor() {
          return make();
        }
      }
      provider = { useClass: H };
      break;
    }
    case "factorySync":
      // ctx.resolve is asynchronous, so a "sync" factory with ctx dependencies is built after them.
      provider = {
        useFactory: (ctx) =>
          c.depsVia === "ctx" ? viaCtx(ctx).then(() => valueFor(c, err)) : valueFor(c, err),
      };
      break;
    case "factoryAsync":
      provider = {
        useFactory: async (ctx) => {
          await viaCtx(ctx);
          await Promise.resolve();
          return valueFor(c, err);
        },
      };
      break;
    case "service":
      provider = {
        useService: async (svc) => {
          if (c.place === "fallbackDep") await svc.resolve("legacy");
          svc.register(valueFor(c, err));
          await svc.noMoreDependents();
        },
      };
      break;
  }
  container.register("H", provider, { lifetime: c.lifetime, ...dependsOn });
  return { container, logger, counters };
}

async function runCase(c: Case): Promise<void> {
  const err = new Error("hostile probe");
  const { container, logger, counters } = setup(c, err);
  const q = container.createScope("q");
  const resolved = await settleOrHang(q.resolve("H"));
  expect(resolved, "resolve() hung").to.not.equal(HANG);
  const seen: unknown[] = [...errorsOf(resolved)];
  if (resolved !== HANG && !resolved.ok) {
    // The probe's error reaches the resolver: that very object, first.
    expect(seen[0]).to.equal(err);
    // Nothing half-made: no instance of H is left starting (or anything else).
    expect(container.inspect().instances.filter((i) => i.token === "H")).to.deep.equal([]);
  }
  const closed = await settleOrHang(q.close());
  expect(closed, "scope close hung").to.not.equal(HANG);
  seen.push(...errorsOf(closed));
  seen.push(...(await closeCleanly(container, logger)));
  for (const e of logger.entries) seen.push(...e.rest.filter((x) => x instanceof Error));
  // Every error anyone saw is the probe's own error; nothing else went wrong on the way.
  for (const e of seen) expect(e).to.equal(err);
  // Every dependency that was created was disposed once.
  expect(counters.disposed).to.deep.equal(counters.created);
}

describe("hardening: every probe of a user object is guarded (issue 12, class 4)", () => {
  it("property: a hostile value, disposer result or hook result fails only its own instance, and everything is released", async () => {
    await fc.assert(fc.asyncProperty(caseArb, runCase), propertyOptions(150));
  });

  it("a transient whose Symbol.asyncDispose getter throws fails its resolve and releases its scoped dependency", async () => {
    const { c, logger } = loggedContainer();
    const log: string[] = [];
    const boom = new Error("asyncDispose getter");
    class Dep {
      [Symbol.asyncDispose](): void {
        log.push("Dep:dispose");
      }
    }
    class T {
      static inject = [Dep] as const;
      get [Symbol.asyncDispose](): never {
        throw boom;
      }
    }
    c.register(Dep, { useClass: Dep }, { lifetime: Lifetime.Scoped });
    c.register(T, { useClass: T }, { lifetime: Lifetime.Transient });
    const q = c.createScope("q");
    expect(await settle(q.resolve(T))).to.deep.equal({ ok: false, error: boom });
    expect(c.inspect().instances.map((i) => [i.token, i.state, i.refCount])).to.deep.equal([
      ["Dep", "ready", 0],
    ]);
    await q.close();
    expect(log).to.deep.equal(["Dep:dispose"]);
    expect(await closeCleanly(c, logger)).to.deep.equal([]);
    expect(logger.entries).to.deep.equal([]);
  });

  it("the same through a Proxy that throws on that key; the next resolve starts afresh", async () => {
    const { c, logger } = loggedContainer();
    const log: string[] = [];
    const boom = new Error("proxy get");
    let calls = 0;
    class Dep {
      [Symbol.asyncDispose](): void {
        log.push("Dep:dispose");
      }
    }
    class T {
      static inject = [Dep] as const;
      constructor() {
        if (++calls > 1) return;
        return new Proxy(this, {
          get(t, k, r) {
            if (k === Symbol.asyncDispose) throw boom;
            return Reflect.get(t, k, r) as unknown;
          },
        });
      }
    }
    c.register(Dep, { useClass: Dep }, { lifetime: Lifetime.Scoped });
    c.register(T, { useClass: T }, { lifetime: Lifetime.Transient });
    const q = c.createScope("q");
    expect(await settle(q.resolve(T))).to.deep.equal({ ok: false, error: boom });
    const second = await settle(q.resolve(T));
    expect(second.ok).to.equal(true);
    expect(calls).to.equal(2);
    await q.close();
    expect(log).to.deep.equal(["Dep:dispose"]);
    expect(await closeCleanly(c, logger)).to.deep.equal([]);
    expect(logger.entries).to.deep.equal([]);
  });
});
