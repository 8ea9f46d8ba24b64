// Issue 12, class 6: nothing of a disposed instance comes back to life. The instance's own scope read for
// the first time after the instance left "ready" (released, being released) or after its creation failed is
// closed: every call on it throws (or rejects with) ScopeClosedError, and nothing it was asked to run runs.
import { expect } from "chai";
import fc from "fast-check";
import {
  currentScope,
  Lifetime,
  ScopeClosedError,
  type FactoryContext,
  type Lifetime as LifetimeT,
  type Scope,
} from "asyncscope";
import { deferredGate, loggedContainer, propertyOptions, settle } from "./gates.js";
import { closeCleanly } from "./support.js";

/** When the own scope is first read. */
type When = "afterRelease" | "inDisposer" | "afterFailure" | "afterAbandon";
/** Which way it is reached. */
type Via = "ctx.scope" | "currentScope()";
/** What is asked of it. */
type Use = "spawn" | "resolve" | "createScope" | "fork" | "withScope" | "start" | "lookup";

interface Case {
  lifetime: LifetimeT;
  when: When;
  via: Via;
  use: Use;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  lifetime: fc.constantFrom<LifetimeT>(
    Lifetime.Shared,
    Lifetime.Scoped,
    Lifetime.Transient,
    Lifetime.Singleton,
  ),
  when: fc.constantFrom<When>("afterRelease", "inDisposer", "afterFailure", "afterAbandon"),
  via: fc.constantFrom<Via>("ctx.scope", "currentScope()"),
  use: fc.constantFrom<Use>("spawn", "resolve", "createScope", "fork", "withScope", "start", "lookup"),
});

/** Use the scope; returns what happened: "closed" (ScopeClosedError), or what else it did. */
async function useScope(s: Scope, use: Use, ran: string[]): Promise<string> {
  try {
    switch (use) {
      case "spawn":
        await s.spawn(() => void ran.push("spawned"));
        break;
      case "resolve":
        await s.resolve("Other");
        break;
      case "createScope":
        s.createScope().spawn(() => void ran.push("child"));
        break;
      case "fork":
        s.fork().spawn(() => void ran.push("fork"));
        break;
      case "withScope":
        await s.withScope(() => void ran.push("withScope"));
        break;
      case "start":
        await s.start<void>(async (ready) => {
          ran.push("start");
          ready();
        });
        break;
      case "lookup":
        s.lookup("Other");
        break;
    }
    return "ran";
  } catch (err) {
    return err instanceof ScopeClosedError ? "closed" : `other: ${String(err)}`;
  }
}

async function runCase(k: Case): Promise<void> {
  const { c, logger } = loggedContainer();
  let others = 0;
  c.register("Other", {
    useFactory: () => {
      others++;
      return {};
    },
  });
  const ran: string[] = [];
  // Settles with what the probe saw, whenever the code left behind runs it (no timing assumed).
  let seen!: (outcome: Promise<string>) => void;
  const outcome = new Promise<string>((resolve) => (seen = (o) => resolve(o)));
  let probed = false;
  let grab: (() => Scope) | undefined;
  const probe = (): void => {
    if (probed) return;
    probed = true;
    seen(
      (async () => {
        const s = grab!();
        const closed = s.state === "closed";
        const r = await useScope(s, k.use, ran);
        return closed ? r : `open (${r})`;
      })(),
    );
  };
  const trigger = deferredGate();
  let gate!: () => void;
  const held = new Promise<void>((r) => (gate = r));
  c.register(
    "A",
    {
      useFactory: async (ctx: FactoryContext) => {
        grab = k.via === "ctx.scope" ? () => ctx.scope : () => currentScope()!;
        if (k.when === "afterFailure") {
          // The factory fails; code it left behind reads its scope once the failure is over.
          void ctx.signal;
          setTimeout(probe, 5);
          throw new Error("creation failed");
        }
        if (k.when === "afterAbandon") {
          await held;
          setTimeout(probe, 5);
          return {};
        }
        // Code the factory leaves behind runs the probe (in the factory's context, for currentScope()).
        void trigger.promise.then(probe);
        return {
          [Symbol.asyncDispose]: async () => {
            if (k.when !== "inDisposer") return;
            trigger.open();
            await new Promise((r) => setTimeout(r, 2));
          },
        };
      },
    },
    { lifetime: k.lifetime },
  );
  const q = c.createScope("q");
  if (k.when === "afterAbandon") {
    const p = settle(q.resolve("A", { timeoutMs: 1 }));
    await p;
    gate();
    await new Promise((r) => setTimeout(r, 10));
  } else {
    const got = await settle(q.resolve("A"));
    if (k.when === "afterFailure") {
      expect(got.ok).to.equal(false);
      await new Promise((r) => setTimeout(r, 10));
    } else {
      await q.close();
      if (k.lifetime === Lifetime.Singleton) await c.close();
      if (k.when === "afterRelease") trigger.open();
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  expect(await outcome).to.equal("closed");
  await settle(q.close());
  await closeCleanly(c, logger);
  expect(ran).to.deep.equal([]);
  expect(others).to.equal(0);
}

describe("hardening: nothing of a disposed instance comes back to life (issue 12, class 6)", () => {
  it("property: an own scope first read after the instance is over is closed, and runs nothing", async () => {
    await fc.assert(fc.asyncProperty(caseArb, runCase), propertyOptions(100));
  });

  it("ctx.scope read for the first time after the instance was disposed is closed: spawn throws ScopeClosedError", async () => {
    const { c, logger } = loggedContainer();
    let ctx: FactoryContext | undefined;
    c.register("A", {
      useFactory: (x) => {
        ctx = x;
        return {};
      },
    });
    const q = c.createScope("q");
    await q.resolve("A");
    await q.release("A");
    const own = ctx!.scope;
    expect(own.state).to.equal("closed");
    let ran = false;
    expect(() => own.spawn(() => void (ran = true))).to.throw(ScopeClosedError);
    expect(ran).to.equal(false);
    await q.close();
    expect(await closeCleanly(c, logger)).to.deep.equal([]);
    expect(logger.entries).to.deep.equal([]);
  });
});
