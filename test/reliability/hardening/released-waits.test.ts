// Issue 12, class 5: a released instance gives up what it was waiting for. A lazy `ctx.resolve(B)` still
// pending when its instance is released (or fails) is given up: it rejects, and B is never handed to the
// instance that has gone (B's creation is abandoned, or B is released, so nothing is held after close).
import { expect } from "chai";
import fc from "fast-check";
import { CancelledError, Lifetime, type FactoryContext, type Lifetime as LifetimeT } from "asyncscope";
import { deferredGate, loggedContainer, propertyOptions, settle, type Gate } from "./gates.js";
import { closeCleanly, HANG, settleOrHang } from "./support.js";

/** How B stands when A lazily asks for it. */
type BState = "new" | "starting" | "releasing" | "ready";
type AEnd = "release" | "close" | "crash";

interface Case {
  aLifetime: LifetimeT;
  bLifetime: LifetimeT;
  bState: BState;
  aEnd: AEnd;
  /** Whether B's creation (or release) finishes before A's release does, or after. */
  gateFirst: boolean;
  /** Ticks between asking for B and releasing A. */
  ticks: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  aLifetime: fc.constantFrom<LifetimeT>(Lifetime.Shared, Lifetime.Scoped, Lifetime.Transient),
  bLifetime: fc.constantFrom<LifetimeT>(Lifetime.Shared, Lifetime.Transient, Lifetime.Singleton),
  bState: fc.constantFrom<BState>("new", "starting", "releasing", "ready"),
  aEnd: fc.constantFrom<AEnd>("release", "close", "crash"),
  gateFirst: fc.boolean(),
  ticks: fc.nat(3),
});

const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

async function runCase(k: Case): Promise<void> {
  const { c, logger } = loggedContainer();
  const created = new Map<string, number>();
  const disposed = new Map<string, number>();
  const bump = (m: Map<string, number>, n: string): void => void m.set(n, (m.get(n) ?? 0) + 1);
  let bCreate: Gate = deferredGate();
  let bDispose: Gate = deferredGate(true);
  c.register(
    "B",
    {
      useFactory: async () => {
        await bCreate.promise;
        bump(created, "B");
        return {
          [Symbol.asyncDispose]: async () => {
            await bDispose.promise;
            bump(disposed, "B");
          },
        };
      },
    },
    { lifetime: k.bLifetime },
  );
  let ctxA: FactoryContext | undefined;
  let crashA: ((e: unknown) => void) | undefined;
  c.register(
    "A",
    {
      useFactory: (ctx) => {
        ctxA = ctx;
        bump(created, "A");
        // A background task that fails once asked to: the crash of a ready instance.
        ctx.scope.spawn(
          (signal) =>
            new Promise<void>((resolve, reject) => {
              crashA = reject;
              signal.addEventListener("abort", () => resolve(), { once: true });
            }),
          { awaited: false },
        );
        return { [Symbol.asyncDispose]: () => void bump(disposed, "A") };
      },
    },
    { lifetime: k.aLifetime },
  );
  const other = c.createScope("other");
  if (k.bState === "starting") void settle(other.resolve("B"));
  if (k.bState === "releasing" || k.bState === "ready") {
    bCreate.open();
    await other.resolve("B");
    bCreate = deferredGate();
    if (k.bState === "releasing") {
      bDispose = deferredGate();
      void settle(other.release("B"));
    }
  }
  const q = c.createScope("q");
  await q.resolve("A");
  const lazy = settle(ctxA!.resolve("B"));
  await ticks(k.ticks);
  const endA =
    k.aEnd === "release"
      ? settle(q.release("A"))
      : k.aEnd === "close"
        ? settle(q.close())
        : (crashA!(new Error("A crashed")), settle(q.done));
  if (k.gateFirst) {
    bCreate.open();
    bDispose.open();
  }
  await ticks(2);
  bCreate.open();
  bDispose.open();
  expect(await settleOrHang(endA), "A's end hung").to.not.equal(HANG);
  const got = await settleOrHang(lazy);
  expect(got, "the lazy resolve hung").to.not.equal(HANG);
  // Either it was served before A went (and A's release released it), or it was given up.
  if (got !== HANG && !got.ok) expect(got.error).to.be.instanceOf(CancelledError);
  await settleOrHang(q.close());
  await settleOrHang(other.close());
  await closeCleanly(c, logger);
  expect(disposed).to.deep.equal(created);
}

describe("hardening: a released instance gives up what it was waiting for (issue 12, class 5)", () => {
  it("property: whatever B's state and however A ends, A's pending ctx.resolve never leaves B held", async () => {
    await fc.assert(fc.asyncProperty(caseArb, runCase), propertyOptions(100));
  });

  it("a lazy ctx.resolve(B) still pending when A is released rejects, and B is not held after close", async () => {
    const { c, logger } = loggedContainer();
    const log: string[] = [];
    const gate = deferredGate();
    c.register("B", {
      useFactory: async () => {
        await gate.promise;
        log.push("B:create");
        return { [Symbol.asyncDispose]: () => void log.push("B:dispose") };
      },
    });
    let lazyB: (() => Promise<unknown>) | undefined;
    c.register("A", {
      useFactory: (ctx) => {
        lazyB = () => ctx.resolve("B");
        return { [Symbol.asyncDispose]: () => void log.push("A:dispose") };
      },
    });
    const q = c.createScope("q");
    await q.resolve("A");
    const pending = settle(lazyB!());
    await q.release("A");
    const got = await pending;
    expect(got.ok).to.equal(false);
    expect((got as { error: unknown }).error).to.be.instanceOf(CancelledError);
    gate.open();
    await q.close();
    expect(await closeCleanly(c, logger)).to.deep.equal([]);
    expect(log).to.deep.equal(["A:dispose", "B:create", "B:dispose"]);
    expect(logger.entries).to.deep.equal([]);
  });
});
