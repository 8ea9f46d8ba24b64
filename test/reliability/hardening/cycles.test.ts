// Issue 12, class 7: every cycle is detected, whatever path it takes. A cycle closed through the instance's
// own scope (`ctx.scope.resolve`, `currentScope().resolve`, a child of the own scope) or through any scope
// from code running inside a factory is a CycleError like one closed by `ctx.resolve` or a constructor
// parameter (SEMANTICS 2.5): the resolver gets it, nothing is created, nothing hangs.
import { expect } from "chai";
import fc from "fast-check";
import {
  CycleError,
  currentScope,
  Lifetime,
  type FactoryContext,
  type Lifetime as LifetimeT,
  type Provider,
  type Scope,
} from "asyncscope";
import { flattenErrors } from "../../support/helpers.js";
import { loggedContainer, propertyOptions, settle } from "./gates.js";
import { closeCleanly, HANG, settleOrHang } from "./support.js";

/** How node i asks for node i+1. */
type Edge =
  | "inject"
  | "dependsOn"
  | "ctx.resolve"
  | "ctx.scope.resolve"
  | "currentScope().resolve"
  | "ownChild.resolve"
  | "ctx.scope.resolveAll"
  | "outer.resolve"
  | "withScope.resolve";

interface Node {
  lifetime: LifetimeT;
  edge: Edge;
  /** Wait a tick before asking (the creation is asynchronous by then). */
  async: boolean;
}

const EDGES: Edge[] = [
  "inject",
  "dependsOn",
  "ctx.resolve",
  "ctx.scope.resolve",
  "currentScope().resolve",
  "ownChild.resolve",
  "ctx.scope.resolveAll",
  "outer.resolve",
  "withScope.resolve",
];

const cycleArb: fc.Arbitrary<Node[]> = fc.boolean().chain((allScoped) =>
  fc.array(
    fc.record({
      lifetime: allScoped
        ? fc.constant<LifetimeT>(Lifetime.Scoped)
        : fc.constantFrom<LifetimeT>(Lifetime.Shared, Lifetime.Transient, Lifetime.Singleton),
      edge: fc.constantFrom(...EDGES),
      async: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
);

/** At least one edge goes through a scope (the paths the issue is about). */
const viaScopeArb = cycleArb.filter((nodes) =>
  nodes.some((n) => n.edge !== "inject" && n.edge !== "dependsOn" && n.edge !== "ctx.resolve"),
);

async function runCase(nodes: Node[]): Promise<void> {
  const { c, logger } = loggedContainer();
  const q = c.createScope("q");
  const names = nodes.map((_, i) => `N${i}`);
  let built = 0;
  let disposed = 0;
  const value = (): object => {
    built++;
    return { [Symbol.asyncDispose]: () => void disposed++ };
  };
  nodes.forEach((node, i) => {
    const next = names[(i + 1) % nodes.length]!;
    const ask = async (ctx: FactoryContext): Promise<void> => {
      if (node.async) await Promise.resolve();
      let s: Scope;
      switch (node.edge) {
        case "ctx.resolve":
          await ctx.resolve(next);
          return;
        case "ctx.scope.resolve":
          await ctx.scope.resolve(next);
          return;
        case "currentScope().resolve":
          await currentScope()!.resolve(next);
          return;
        case "ownChild.resolve":
          s = ctx.scope.createScope();
          try {
            await s.resolve(next);
          } finally {
            await settle(s.close());
          }
          return;
        case "ctx.scope.resolveAll":
          await ctx.scope.resolveAll(next);
          return;
        case "outer.resolve":
          await q.resolve(next);
          return;
        case "withScope.resolve":
          await c.withScope((s) => s.resolve(next));
          return;
        default:
          return;
      }
    };
    let provider: Provider<unknown>;
    if (node.edge === "inject") {
      // A class whose constructor takes the next node: a string token through `static inject`.
      class K {
        static inject = [next] as const;
        constructor() {
          return value();
        }
      }
      provider = { useClass: K };
    } else {
      provider = {
        useFactory: async (ctx) => {
          await ask(ctx);
          return value();
        },
      };
    }
    c.register(names[i]!, provider, {
      lifetime: node.lifetime,
      ...(node.edge === "dependsOn" ? { dependsOn: [next] } : {}),
    });
  });
  const got = await settleOrHang(q.resolve(names[0]!));
  expect(got, "the resolve hung").to.not.equal(HANG);
  expect(got !== HANG && got.ok, "the cycle was not detected").to.equal(false);
  const errors = flattenErrors((got as { error: unknown }).error);
  expect(errors[0]).to.be.instanceOf(CycleError);
  // Nothing is created: no instance is left, and nothing was built.
  expect(c.inspect().instances.filter((i) => names.includes(i.token))).to.deep.equal([]);
  expect(built).to.equal(0);
  const closed = await settleOrHang(q.close());
  expect(closed, "q.close() hung").to.not.equal(HANG);
  await closeCleanly(c, logger);
  expect(disposed).to.equal(built);
}

describe("hardening: every cycle is detected, whatever path it takes (issue 12, class 7)", () => {
  it("property: a cycle through constructor parameters, dependsOn, ctx.resolve, the own scope or any scope is a CycleError", async () => {
    await fc.assert(fc.asyncProperty(cycleArb, runCase), propertyOptions(150));
  });

  it("property: cycles with at least one edge through a scope", async () => {
    await fc.assert(fc.asyncProperty(viaScopeArb, runCase), propertyOptions(100));
  });

  it("a factory resolving its own token through ctx.scope gets a CycleError A -> A instead of hanging", async () => {
    const { c, logger } = loggedContainer();
    c.register("A", {
      useFactory: async (ctx) => {
        await ctx.scope.resolve("A");
        return {};
      },
    });
    const got = await settleOrHang(c.createScope().resolve("A"));
    expect(got).to.not.equal(HANG);
    const error = (got as { error: unknown }).error;
    expect(error).to.be.instanceOf(CycleError);
    expect((error as CycleError).path).to.deep.equal(["A", "A"]);
    await closeCleanly(c, logger);
  });

  it("A -> B -> A closed by currentScope().resolve inside A's factory is a CycleError naming the whole path", async () => {
    const { c, logger } = loggedContainer();
    c.register("A", {
      useFactory: async () => {
        await currentScope()!.resolve("B");
        return {};
      },
    });
    c.register("B", {
      useFactory: async (ctx) => {
        await ctx.resolve("A");
        return {};
      },
    });
    const got = await settleOrHang(c.createScope().resolve("A"));
    expect(got).to.not.equal(HANG);
    const error = (got as { error: unknown }).error;
    expect(error).to.be.instanceOf(CycleError);
    expect((error as CycleError).path).to.deep.equal(["A", "B", "A"]);
    await closeCleanly(c, logger);
  });
});

/** How the lazily asked-for chain stands when the ready instance asks for it. */
type Start = "new" | "ready" | "starting";

interface LazyCase {
  aLifetime: LifetimeT;
  chain: { lifetime: LifetimeT; edge: Edge }[];
  start: Start;
}

const lazyArb: fc.Arbitrary<LazyCase> = fc.record({
  // A transient A would get a new A at the end of the chain (no cycle); a scoped one would be captured by the
  // shared chain (LifetimeError).
  aLifetime: fc.constantFrom<LifetimeT>(Lifetime.Shared, Lifetime.Singleton),
  chain: fc.array(
    fc.record({
      lifetime: fc.constantFrom<LifetimeT>(Lifetime.Shared, Lifetime.Singleton),
      edge: fc.constantFrom<Edge>(
        "inject",
        "dependsOn",
        "ctx.resolve",
        "ctx.scope.resolve",
        "currentScope().resolve",
        "outer.resolve",
      ),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  start: fc.constantFrom<Start>("new", "ready", "starting"),
});

/**
 * A ready instance A lazily asks (ctx.resolve) for N0, and N0 -> … -> A: a cycle of references (A would hold
 * N0, which holds A), found when it would close, whatever the chain's edges and N0's state. N0 is created
 * (A is ready: nothing waits for itself), but never handed to A, and released at once.
 */
async function runLazyCase(k: LazyCase): Promise<void> {
  const { c, logger } = loggedContainer();
  const q = c.createScope("q");
  const other = c.createScope("other");
  const names = k.chain.map((_, i) => `N${i}`);
  let gateOpen!: () => void;
  const gate = new Promise<void>((r) => (gateOpen = r));
  let built = 0;
  let disposed = 0;
  const value = (): object => {
    built++;
    return { [Symbol.asyncDispose]: () => void disposed++ };
  };
  k.chain.forEach((node, i) => {
    const next = i + 1 < k.chain.length ? names[i + 1]! : "A";
    const ask = async (ctx: FactoryContext): Promise<void> => {
      if (i === 0) await gate;
      switch (node.edge) {
        case "ctx.resolve":
          await ctx.resolve(next);
          return;
        case "ctx.scope.resolve":
          await ctx.scope.resolve(next);
          return;
        case "currentScope().resolve":
          await currentScope()!.resolve(next);
          return;
        case "outer.resolve":
          await q.resolve(next);
          return;
        default:
          return;
      }
    };
    let provider: Provider<unknown>;
    if (node.edge === "inject" && i > 0) {
      class K {
        static inject = [next] as const;
        constructor() {
          return value();
        }
      }
      provider = { useClass: K };
    } else {
      provider = {
        useFactory: async (ctx) => {
          await ask(ctx);
          return value();
        },
      };
    }
    c.register(names[i]!, provider, {
      lifetime: node.lifetime,
      ...(node.edge === "dependsOn" || (node.edge === "inject" && i === 0) ? { dependsOn: [next] } : {}),
    });
  });
  let lazy: (() => Promise<unknown>) | undefined;
  c.register(
    "A",
    {
      useFactory: (ctx) => {
        lazy = () => ctx.resolve("N0");
        return value();
      },
    },
    { lifetime: k.aLifetime },
  );
  await q.resolve("A");
  let early: Promise<unknown> | undefined;
  if (k.start === "ready") {
    gateOpen();
    early = other.resolve("N0");
    await settle(early);
  } else if (k.start === "starting") {
    early = other.resolve("N0");
    early.catch(() => {});
  }
  const got = settleOrHang(lazy!());
  gateOpen();
  const outcome = await got;
  expect(outcome, "the lazy resolve hung").to.not.equal(HANG);
  // A request through an outside scope is held by that scope, not by the instance: no cycle of references.
  if (k.chain.every((n) => n.edge !== "outer.resolve")) {
    expect(outcome !== HANG && outcome.ok, "the cycle of references was not detected").to.equal(false);
    expect(flattenErrors((outcome as { error: unknown }).error)[0]).to.be.instanceOf(CycleError);
  } else {
    expect(outcome !== HANG && outcome.ok, "no cycle of references, yet it failed").to.equal(true);
  }
  if (early) await settleOrHang(early);
  expect(await settleOrHang(other.close())).to.not.equal(HANG);
  expect(await settleOrHang(q.close())).to.not.equal(HANG);
  await closeCleanly(c, logger);
  expect(disposed).to.equal(built);
}

describe("hardening: a cycle closed by a lazy ctx.resolve of a ready instance (issue 12, class 7)", () => {
  it("property: whatever the chain back to it and the state of what it asks for, it is a CycleError and nothing is kept", async () => {
    await fc.assert(fc.asyncProperty(lazyArb, runLazyCase), propertyOptions(100));
  });

  it("A ready asks lazily for B, whose factory resolves A: a CycleError A -> B -> A, B is released at once", async () => {
    const { c, logger } = loggedContainer();
    const log: string[] = [];
    let lazyB: (() => Promise<unknown>) | undefined;
    c.register("A", {
      useFactory: (ctx) => {
        lazyB = () => ctx.resolve("B");
        return { [Symbol.asyncDispose]: () => void log.push("A:dispose") };
      },
    });
    c.register("B", {
      useFactory: async (ctx) => {
        await ctx.resolve("A");
        return { [Symbol.asyncDispose]: () => void log.push("B:dispose") };
      },
    });
    const q = c.createScope("q");
    await q.resolve("A");
    const got = await settleOrHang(lazyB!());
    expect(got).to.not.equal(HANG);
    const error = (got as { error: unknown }).error;
    expect(error).to.be.instanceOf(CycleError);
    expect((error as CycleError).path).to.deep.equal(["A", "B", "A"]);
    await q.close();
    expect(await closeCleanly(c, logger)).to.deep.equal([]);
    expect(log).to.deep.equal(["B:dispose", "A:dispose"]);
  });
});
