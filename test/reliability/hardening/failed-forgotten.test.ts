// Issue 12, class 8: a failed creation is forgotten at once. From the moment a creation has failed, the next
// resolve starts afresh (SEMANTICS 2.2), even while the failed one is still releasing what it acquired (a
// slow disposer of a dependency or of the built value, an own task slow to stop).
import { expect } from "chai";
import fc from "fast-check";
import { Lifetime, onInit, type Lifetime as LifetimeT } from "asyncscope";
import { deferredGate, loggedContainer, propertyOptions, settle } from "./gates.js";
import { closeCleanly, HANG, settleOrHang } from "./support.js";

type Failure = "throws" | "rejects" | "initHook" | "thenGetter" | "ownTask" | "ctxDepFails";
type Slow = "depDisposer" | "valueDisposer" | "ownTask";

interface Case {
  lifetime: LifetimeT;
  failure: Failure;
  slow: Slow;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    lifetime: fc.constantFrom<LifetimeT>(
      Lifetime.Shared,
      Lifetime.Scoped,
      Lifetime.Singleton,
      Lifetime.Transient,
    ),
    failure: fc.constantFrom<Failure>(
      "throws",
      "rejects",
      "initHook",
      "thenGetter",
      "ownTask",
      "ctxDepFails",
    ),
    slow: fc.constantFrom<Slow>("depDisposer", "valueDisposer", "ownTask"),
  })
  // Only an instance built before it failed (an @onInit hook failing) has a value to dispose.
  .map((k) =>
    k.slow === "valueDisposer" && k.failure !== "initHook" ? { ...k, slow: "depDisposer" as const } : k,
  );

async function runCase(k: Case): Promise<void> {
  const { c, logger } = loggedContainer();
  const started = deferredGate();
  const gate = deferredGate();
  const slowly = async (): Promise<void> => {
    started.open();
    await gate.promise;
  };
  const failure = new Error("first creation fails");
  let calls = 0;
  c.register(
    "D",
    {
      useFactory: () => ({
        [Symbol.asyncDispose]: async () => {
          if (k.slow === "depDisposer" && calls === 1) await slowly();
        },
      }),
    },
    { lifetime: Lifetime.Shared },
  );
  c.register("Bad", {
    useFactory: () => {
      throw new Error("Bad always fails");
    },
  });
  class Built {
    constructor(readonly first: boolean) {}
    @onInit()
    init(): void {
      if (this.first && k.failure === "initHook") throw failure;
    }
    async [Symbol.asyncDispose](): Promise<void> {
      if (this.first && k.slow === "valueDisposer") await slowly();
    }
  }
  c.register(
    "A",
    {
      useFactory: async (ctx) => {
        const first = ++calls === 1;
        await ctx.resolve("D");
        if (first && k.slow === "ownTask") {
          ctx.scope.spawn(
            (signal) =>
              new Promise<void>((resolve) =>
                signal.addEventListener("abort", () => void slowly().then(resolve), { once: true }),
              ),
            { awaited: false },
          );
        }
        if (first) {
          switch (k.failure) {
            case "throws":
              throw failure;
            case "rejects":
              await Promise.resolve();
              throw failure;
            case "thenGetter":
              return Object.defineProperty({}, "then", {
                get() {
                  throw failure;
                },
              });
            case "ownTask":
              ctx.scope.spawn(() => Promise.reject(failure));
              await new Promise((r) => setTimeout(r, 1));
              break;
            case "ctxDepFails":
              try {
                await ctx.resolve("Bad");
              } catch {
                throw failure;
              }
              break;
            default:
              break;
          }
        }
        return new Built(first);
      },
    },
    { lifetime: k.lifetime },
  );
  const q = c.createScope("q");
  const first = q.resolve("A");
  first.catch(() => {});
  const begun = await settleOrHang(started.promise);
  expect(begun, "the failed creation's teardown never started").to.not.equal(HANG);
  // The creation has failed and is still releasing: the next resolve starts afresh.
  const second = q.resolve("A");
  second.catch(() => {});
  await new Promise((r) => setTimeout(r, 1));
  gate.open();
  const got1 = await settleOrHang(first);
  const got2 = await settleOrHang(second);
  expect(got1).to.deep.equal({ ok: false, error: failure });
  expect(got2 !== HANG && got2.ok, "the second resolve got the first creation's error").to.equal(true);
  expect(calls).to.equal(2);
  await settleOrHang(q.close());
  await closeCleanly(c, logger);
}

describe("hardening: a failed creation is forgotten at once (issue 12, class 8)", () => {
  it("property: a resolve arriving while a failed creation is still tearing down starts afresh", async () => {
    await fc.assert(fc.asyncProperty(caseArb, runCase), propertyOptions(100));
  });

  it("a resolve arriving while the failed creation releases a slowly disposed dependency calls the factory again", async () => {
    const { c, logger } = loggedContainer();
    const log: string[] = [];
    const gate = deferredGate();
    const boom = new Error("first creation fails");
    c.register("D", {
      useFactory: () => ({
        [Symbol.asyncDispose]: async () => {
          log.push("D:dispose:begin");
          await gate.promise;
          log.push("D:dispose:end");
        },
      }),
    });
    let calls = 0;
    c.register(
      "A",
      {
        useFactory: () => {
          log.push(`A:create ${++calls}`);
          if (calls === 1) throw boom;
          return {};
        },
      },
      { dependsOn: ["D"] },
    );
    const q = c.createScope("q");
    const first = settle(q.resolve("A"));
    await new Promise((r) => setTimeout(r, 1));
    expect(log).to.deep.equal(["A:create 1", "D:dispose:begin"]);
    const second = settle(q.resolve("A"));
    gate.open();
    expect(await first).to.deep.equal({ ok: false, error: boom });
    expect((await second).ok).to.equal(true);
    expect(log).to.deep.equal(["A:create 1", "D:dispose:begin", "D:dispose:end", "A:create 2"]);
    await q.close();
    expect(await closeCleanly(c, logger)).to.deep.equal([]);
  });
});
