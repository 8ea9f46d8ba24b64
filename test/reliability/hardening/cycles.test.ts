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
  | "outer.resolve";

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
