// CASES.md sections A–D, one test per case, named after it.
import { expect } from "chai";
import {
  Container,
  CycleError,
  Lifetime,
  onNoMoreDependents,
  ScopeClosedError,
  SuppressedError,
} from "asyncscope";
import { defineService, delay, since, settle, TestInstance, type Log } from "../support/helpers.js";

describe("CASES A–D", () => {
  let log: Log;
  let c: Container;
  beforeEach(() => {
    log = [];
    c = new Container();
  });
  afterEach(() => c.close());

  describe("CASES A: refcounted services and sharing", () => {
    it("case 1: repeated acquisition in one scope creates once", async () => {
      const S = defineService(c, log, "S");
      const Q = c.createScope();
      const a = await Q.resolve("S");
      const b = await Q.resolve("S");
      await Q.close();
      expect(a).to.equal(b);
      expect(S.calls).to.equal(1);
      expect(log).to.deep.equal(["S:create", "S:dispose"]);
    });

    it("case 2: sharing across two scopes; dispose on the last release", async () => {
      defineService(c, log, "S");
      const Q1 = c.createScope();
      const Q2 = c.createScope();
      const x = await Q1.resolve("S");
      const y = await Q2.resolve("S");
      await Q1.close();
      const L1 = [...log];
      await Q2.close();
      expect(x).to.equal(y);
      expect(L1).to.deep.equal(["S:create"]);
      expect(log).to.deep.equal(["S:create", "S:dispose"]);
    });

    it("case 3: explicit release counts one reference per acquisition", async () => {
      defineService(c, log, "S", { nmd: true });
      const Q = c.createScope();
      await Q.resolve("S");
      await Q.resolve("S");
      await Q.release("S");
      const L1 = [...log];
      await Q.release("S");
      const L2 = [...log];
      await Q.release("S");
      expect(L1).to.deep.equal(["S:create"]);
      expect(L2).to.deep.equal(["S:create", "S:nmd", "S:dispose"]);
      expect(log).to.deep.equal(L2);
      await Q.close();
    });

    it("case 5: re-acquiring after disposal creates a fresh instance", async () => {
      defineService(c, log, "S");
      const Q1 = c.createScope();
      const a = await Q1.resolve("S");
      await Q1.close();
      const Q2 = c.createScope();
      const b = await Q2.resolve("S");
      await Q2.close();
      expect(a).to.not.equal(b);
      expect(log).to.deep.equal(["S:create", "S:dispose", "S:create", "S:dispose"]);
    });

    it("case 6: diamond: shared leaf created once; sequential start; reverse stop", async () => {
      const C = defineService(c, log, "C");
      defineService(c, log, "B1", { dependsOn: ["C"] });
      defineService(c, log, "B2", { dependsOn: ["C"] });
      defineService(c, log, "A", { dependsOn: ["B1", "B2"] });
      const Q = c.createScope();
      await Q.resolve("A");
      await Q.close();
      expect(log).to.deep.equal([
        "C:create",
        "B1:create",
        "B2:create",
        "A:create",
        "A:dispose",
        "B2:dispose",
        "B1:dispose",
        "C:dispose",
      ]);
      expect(C.calls).to.equal(1);
    });

    it("case 8: a chain is torn down strictly in reverse dependency order, each step finishing first", async () => {
      defineService(c, log, "C", { disposeMs: 20 });
      defineService(c, log, "B", { dependsOn: ["C"], disposeMs: 20 });
      defineService(c, log, "A", { dependsOn: ["B"], disposeMs: 20 });
      const Q = c.createScope();
      await Q.resolve("A");
      await Q.close();
      log.push("scope:done");
      expect(log).to.deep.equal([
        "C:create",
        "B:create",
        "A:create",
        "A:dispose:begin",
        "A:dispose:end",
        "B:dispose:begin",
        "B:dispose:end",
        "C:dispose:begin",
        "C:dispose:end",
        "scope:done",
      ]);
    });

    it("case 9: independent dependents are disposed in parallel; their shared dependency afterwards", async () => {
      defineService(c, log, "X", { disposeMs: 100 });
      defineService(c, log, "A", { dependsOn: ["X"], disposeMs: 100 });
      defineService(c, log, "B", { dependsOn: ["X"], disposeMs: 200 });
      const Q = c.createScope();
      await Q.resolve("A");
      await Q.resolve("B");
      log.length = 0;
      const t0 = performance.now();
      const times: Record<string, number> = {};
      const origPush = log.push.bind(log);
      log.push = (...items: string[]) => {
        for (const i of items) times[i] = since(t0);
        return origPush(...items);
      };
      await Q.close();
      const elapsed = since(t0);
      const at = (s: string): number => log.indexOf(s);
      expect(at("A:dispose:begin")).to.be.lessThan(at("A:dispose:end"));
      expect(at("B:dispose:begin")).to.be.lessThan(at("A:dispose:end"));
      expect(at("X:dispose:begin")).to.be.greaterThan(at("B:dispose:end"));
      expect(times["A:dispose:end"]).to.be.within(90, 250);
      expect(times["B:dispose:end"]).to.be.within(190, 330);
      expect(times["X:dispose:end"]).to.be.within(290, 390);
      expect(elapsed).to.be.within(290, 390);
    });

    it("case 11: @onNoMoreDependents runs once, only on the last release, before the disposer", async () => {
      defineService(c, log, "S", { nmd: true, nmdMs: 20 });
      const Q1 = c.createScope();
      const Q2 = c.createScope();
      const s = (await Q1.resolve("S")) as TestInstance;
      await Q2.resolve("S");
      await Q1.close();
      const L1 = [...log];
      await Q2.close();
      expect(L1).to.deep.equal(["S:create"]);
      expect(log).to.deep.equal(["S:create", "S:nmd", "S:dispose"]);
      expect(s.disposed).to.equal(1);
    });

    it("case 12: a failing hook does not prevent disposal", async () => {
      const H = new Error("H");
      defineService(c, log, "S", { nmd: true, nmdError: H });
      const Q = c.createScope();
      await Q.resolve("S");
      const r = await settle(Q.close());
      expect(log).to.deep.equal(["S:create", "S:nmd", "S:dispose"]);
      expect(r).to.deep.equal({ ok: false, error: H });
      expect((r as { error: unknown }).error).to.equal(H);
    });
  });

  describe("CASES B: startup concurrency and failures", () => {
    it("case 15: concurrent acquisition while the service starts results in a single creation", async () => {
      const S = defineService(c, log, "S", { createMs: 100 });
      const Q1 = c.createScope();
      const Q2 = c.createScope();
      const Q3 = c.createScope();
      const t0 = performance.now();
      const p1 = Q1.resolve("S");
      await delay(10);
      const p2 = Q2.resolve("S");
      await delay(10);
      const p3 = Promise.all([Q3.resolve("S"), Q3.resolve("S"), Q3.resolve("S")]);
      const [a, b, [c1, c2, c3]] = await Promise.all([p1, p2, p3]);
      expect(since(t0)).to.be.within(90, 250);
      expect(S.calls).to.equal(1);
      for (const x of [b, c1, c2, c3]) expect(x).to.equal(a);
      expect(log).to.deep.equal(["S:create:begin", "S:create:end"]);
      await Q1.close();
      await Q2.close();
      expect(log).to.deep.equal(["S:create:begin", "S:create:end"]);
      await Q3.close();
      expect(log).to.deep.equal(["S:create:begin", "S:create:end", "S:dispose"]);
    });

    it("case 16: a factory failure reaches every waiter; nothing is registered; the next attempt is fresh", async () => {
      const E = new Error("E");
      let fail = true;
      let calls = 0;
      c.register("S", {
        useFactory: async () => {
          calls++;
          log.push("S:create:begin");
          await delay(50);
          if (fail) throw E;
          return new TestInstance("S", log, {}, []);
        },
      });
      defineService(c, log, "Other");
      const Q1 = c.createScope();
      const Q2 = c.createScope();
      const p1 = settle(Q1.resolve("S"));
      await delay(10);
      const p2 = settle(Q2.resolve("S"));
      const [r1, r2] = await Promise.all([p1, p2]);
      expect(r1.ok || r2.ok).to.equal(false);
      expect((r1 as { error: unknown }).error).to.equal(E);
      expect((r2 as { error: unknown }).error).to.equal(E);
      expect(calls).to.equal(1);
      expect(log).to.not.include("S:dispose");
      expect(await Q1.resolve("Other")).to.be.instanceOf(TestInstance);
      fail = false;
      const Q3 = c.createScope();
      expect(await Q3.resolve("S")).to.be.instanceOf(TestInstance);
      expect(log.filter((l) => l === "S:create:begin")).to.have.length(2);
      await Promise.all([Q1.close(), Q2.close(), Q3.close()]);
    });

    it("case 17: a failed factory releases the dependencies it acquired, in reverse order", async () => {
      const E = new Error("E");
      defineService(c, log, "D1");
      defineService(c, log, "D2");
      defineService(c, log, "S", { dependsOn: ["D1", "D2"], createError: E });
      const Q = c.createScope();
      const r = await settle(Q.resolve("S"));
      expect(r).to.deep.equal({ ok: false, error: E });
      expect(log).to.deep.equal(["D1:create", "D2:create", "D2:dispose", "D1:dispose"]);
      await Q.close();
      expect(log).to.have.length(4);
    });

    it("case 18: failure in a sequential dependency list", async () => {
      const E = new Error("E");
      defineService(c, log, "D1");
      const Dbad = defineService(c, log, "Dbad", { createMs: 1, createError: E });
      const D3 = defineService(c, log, "D3");
      const S = defineService(c, log, "S", { dependsOn: ["D1", "Dbad", "D3"] });
      const Q = c.createScope();
      const r = await settle(Q.resolve("S"));
      expect((r as { error: unknown }).error).to.equal(E);
      expect(log).to.deep.equal(["D1:create", "Dbad:create:begin", "D1:dispose"]);
      expect(D3.calls).to.equal(0);
      expect(S.calls).to.equal(0);
      expect(Dbad.calls).to.equal(1);
      await Q.close();
    });

    it("case 19: failure inside a parallel group aborts in-flight siblings and disposes completed ones", async () => {
      const E = new Error("E");
      // Dbad fails once Dfast is done (CASES' 10 ms against 5 ms, as an order that no machine's load can swap).
      let fastDone!: () => void;
      const fastCreated = new Promise<void>((resolve) => (fastDone = resolve));
      c.register("Dbad", {
        useFactory: async () => {
          await fastCreated;
          await delay(5);
          throw E;
        },
      });
      defineService(c, log, "Dfast", { createMs: 5, onCreate: () => fastDone() });
      let slowSignal: AbortSignal | undefined;
      defineService(c, log, "Dslow", { createMs: 200, onCreate: () => undefined });
      c.register("DslowSpy", { useFactory: (ctx) => ((slowSignal = ctx.signal), 1) });
      const S = defineService(c, log, "S", { dependsOn: [["Dbad", "Dfast", "Dslow"]] });
      const Q = c.createScope();
      const r = await settle(Q.resolve("S"));
      expect((r as { error: unknown }).error).to.equal(E);
      await delay(20);
      expect(log).to.include("Dfast:create:end");
      expect(log.indexOf("Dfast:dispose")).to.be.greaterThan(log.indexOf("Dfast:create:end"));
      expect(log).to.include("Dslow:create:aborted");
      expect(log).to.not.include("Dslow:create:end");
      expect(log).to.not.include("Dslow:dispose");
      expect(S.calls).to.equal(0);
      void slowSignal;
      await Q.close();
    });

    it("case 19 (variant): a sibling that ignores the signal is disposed as soon as it resolves", async () => {
      const E = new Error("E");
      c.register("Dbad", {
        useFactory: async () => {
          await delay(10);
          throw E;
        },
      });
      defineService(c, log, "Dslow", { createMs: 200, ignoreAbort: true });
      defineService(c, log, "S", { dependsOn: [["Dbad", "Dslow"]] });
      const Q = c.createScope();
      const t0 = performance.now();
      const r = await settle(Q.resolve("S"));
      expect(since(t0)).to.be.within(8, 150);
      expect((r as { error: unknown }).error).to.equal(E);
      await delay(260);
      expect(log).to.deep.equal(["Dslow:create:begin", "Dslow:create:end", "Dslow:dispose"]);
      await Q.close();
    });

    it("case 20: disposing the sole waiter mid-startup aborts the startup", async () => {
      const S = defineService(c, log, "S", { createMs: 300 });
      const Q = c.createScope();
      const t0 = performance.now();
      const p = settle(Q.resolve("S"));
      await delay(100);
      await Q.close();
      expect(since(t0)).to.be.within(90, 250);
      const r = await p;
      expect(r.ok).to.equal(false);
      expect((r as { error: Error }).error.name).to.equal("CancelledError");
      expect(log).to.deep.equal(["S:create:begin", "S:create:aborted"]);
      const Q2 = c.createScope();
      await Q2.resolve("S");
      expect(S.calls).to.equal(2);
      await Q2.close();
    });
  });

  describe("CASES C: teardown errors", () => {
    it("case 24: a dependent's teardown error does not stop its dependency's teardown", async () => {
      const EA = new Error("EA");
      defineService(c, log, "X");
      defineService(c, log, "A", { dependsOn: ["X"], disposeError: EA });
      const Q = c.createScope();
      await Q.resolve("A");
      const r = await settle(Q.close());
      expect(log).to.deep.equal(["X:create", "A:create", "A:dispose", "X:dispose"]);
      expect((r as { error: unknown }).error).to.equal(EA);
    });

    it("case 26: the original error is preserved when teardown also fails", async () => {
      const EA = new Error("EA");
      const E1 = new Error("E1");
      defineService(c, log, "A", { disposeError: EA });
      const r = await settle(
        c.withScope(async (q) => {
          await q.resolve("A");
          throw E1;
        }),
      );
      expect(log).to.deep.equal(["A:create", "A:dispose"]);
      const err = (r as { error: unknown }).error;
      expect(err).to.be.instanceOf(AggregateError);
      expect((err as AggregateError).errors).to.have.length(2);
      expect((err as AggregateError).errors[0]).to.equal(E1);
      expect((err as AggregateError).errors[1]).to.equal(EA);
    });

    it("case 27: the same situation through await using", async () => {
      const EA = new Error("EA");
      const E1 = new Error("E1");
      defineService(c, log, "A", { disposeError: EA });
      let caught: unknown;
      try {
        await using q = c.createScope();
        await q.resolve("A");
        throw E1;
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(SuppressedError);
      expect((caught as SuppressedError).suppressed).to.equal(E1);
      expect((caught as SuppressedError).error).to.equal(EA);
      expect(log).to.include("A:dispose");
    });

    it("case 31: a disposed scope refuses new work", async () => {
      const S = defineService(c, log, "S");
      const Q = c.createScope();
      await Q.close();
      let ran = false;
      const r = await settle(Q.resolve("S"));
      expect((r as { error: unknown }).error).to.be.instanceOf(ScopeClosedError);
      expect(() => Q.spawn(() => void (ran = true))).to.throw(ScopeClosedError, Q.name);
      expect(() => Q.createScope()).to.throw(ScopeClosedError);
      expect(() => Q.fork()).to.throw(ScopeClosedError);
      await delay(1);
      expect(ran).to.equal(false);
      expect(S.calls).to.equal(0);
    });

    it("case 34: one child scope per request: scoped lifetime vs shared lifetime", async () => {
      defineService(c, log, "Req", { lifetime: Lifetime.Scoped });
      defineService(c, log, "G");
      const Q1 = c.createScope();
      const Q2 = c.createScope();
      const r1 = await Q1.resolve("Req");
      const r2 = await Q2.resolve("Req");
      const g1 = await Q1.resolve("G");
      const g2 = await Q2.resolve("G");
      expect(r1).to.not.equal(r2);
      expect(g1).to.equal(g2);
      log.length = 0;
      await Q1.close();
      expect(log).to.deep.equal(["Req:dispose"]);
      await Q2.close();
      expect(log).to.deep.equal(["Req:dispose", "Req:dispose", "G:dispose"]);
    });
  });

  describe("CASES D: cycle detection", () => {
    it("case 35: A -> B -> A is detected before any factory runs", async () => {
      defineService(c, log, "A", { dependsOn: ["B"] });
      defineService(c, log, "B", { dependsOn: ["A"] });
      defineService(c, log, "C");
      const Q = c.createScope();
      const r = await settle(Q.resolve("A"));
      const err = (r as { error: unknown }).error;
      expect(err).to.be.instanceOf(CycleError);
      expect((err as CycleError).message).to.contain("A -> B -> A");
      expect((err as CycleError).path).to.deep.equal(["A", "B", "A"]);
      expect((err as CycleError).code).to.equal("ERR_CYCLE");
      expect(log).to.deep.equal([]);
      expect(await Q.resolve("C")).to.be.instanceOf(TestInstance);
      await Q.close();
    });

    it("case 38: a dynamic cycle at runtime", async () => {
      defineService(c, log, "A", { dependsOn: ["B"] });
      let inner: unknown;
      c.register("B", {
        useFactory: async (ctx) => {
          try {
            return await ctx.resolve("A");
          } catch (err) {
            inner = err;
            throw err;
          }
        },
      });
      const Q = c.createScope();
      const t0 = performance.now();
      const r = await settle(Q.resolve("A"));
      expect(since(t0)).to.be.lessThan(100);
      expect(inner).to.be.instanceOf(CycleError);
      expect((inner as CycleError).message).to.contain("A -> B -> A");
      expect((r as { error: unknown }).error).to.equal(inner);
      expect(c.inspect().instances).to.deep.equal([]);
      await Q.close();
    });
  });
});

describe("class hooks apply whatever the provider", () => {
  it("an @onNoMoreDependents hook on a useClass instance runs before its disposer", async () => {
    const log: Log = [];
    class S {
      @onNoMoreDependents()
      bye(): void {
        log.push("nmd");
      }
      [Symbol.dispose](): void {
        log.push("dispose");
      }
    }
    const c = new Container();
    c.register(S, { useClass: S });
    const q = c.createScope();
    await q.resolve(S);
    await q.close();
    expect(log).to.deep.equal(["nmd", "dispose"]);
    await c.close();
  });
});
