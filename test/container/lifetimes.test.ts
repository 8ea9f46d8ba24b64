// The four lifetimes, keepAliveMs, disposeTimeoutMs and dependsOn groups (API "Tokens and lifetimes").
import { expect } from "chai";
import { Container, DisposeTimeoutError, Lifetime } from "asyncscope";
import { defineService, delay, since, settle, TestInstance, type Log } from "../support/helpers.js";

describe("lifetimes", () => {
  let log: Log;
  let c: Container;
  beforeEach(() => {
    log = [];
    c = new Container();
  });
  afterEach(() => c.close());

  it("transient: one instance per resolution, disposed when its scope closes", async () => {
    const T = defineService(c, log, "T", { lifetime: Lifetime.Transient });
    const q = c.createScope();
    const a = await q.resolve("T");
    const b = await q.resolve("T");
    expect(a).to.not.equal(b);
    expect(T.calls).to.equal(2);
    await q.close();
    expect(log).to.deep.equal(["T:create", "T:create", "T:dispose", "T:dispose"]);
  });

  it("transient: release disposes the most recent one at once", async () => {
    defineService(c, log, "T", { lifetime: Lifetime.Transient });
    const q = c.createScope();
    const a = (await q.resolve("T")) as TestInstance;
    const b = (await q.resolve("T")) as TestInstance;
    await q.release("T");
    expect([a.disposed, b.disposed]).to.deep.equal([0, 1]);
    await q.close();
    expect([a.disposed, b.disposed]).to.deep.equal([1, 1]);
  });

  it("shared: counts each holder's references exactly, however many hold it and in whatever order they leave", async () => {
    defineService(c, log, "S");
    const [q1, q2, q3] = ["q1", "q2", "q3"].map((n) => c.createScope(n));
    const s = await q1!.resolve("S");
    expect(await q2!.resolve("S")).to.equal(s);
    expect(await q3!.resolve("S")).to.equal(s);
    const holdersOfS = (): [string, number] => {
      const g = c.inspect();
      const i = g.instances.find((x) => x.token === "S")!;
      return [i.holders.map((h) => g.scopes.find((x) => x.id === h)!.name).join(","), i.refCount];
    };
    expect(holdersOfS()).to.deep.equal(["q1,q2,q3", 3]);
    await q1!.release("S");
    // q3 holds it again: its count goes up where it is, it does not take q1's free place a second time.
    expect(await q3!.resolve("S")).to.equal(s);
    expect(holdersOfS()).to.deep.equal(["q2,q3", 3]);
    await q3!.release("S");
    await q3!.release("S");
    await q3!.release("S"); // holds none any more: nothing happens
    expect(holdersOfS()).to.deep.equal(["q2", 1]);
    expect(log).to.deep.equal(["S:create"]);
    await q2!.release("S");
    expect(log).to.deep.equal(["S:create", "S:dispose"]);
    await Promise.all([q1!.close(), q2!.close(), q3!.close()]);
  });

  it("scoped: one per scope, a child scope gets its own, disposed with its scope (not by release)", async () => {
    defineService(c, log, "R", { lifetime: Lifetime.Scoped });
    const q = c.createScope();
    const qq = q.createScope();
    const a = await q.resolve("R");
    expect(await q.resolve("R")).to.equal(a);
    const b = await qq.resolve("R");
    expect(b).to.not.equal(a);
    await q.release("R");
    await q.release("R");
    expect(log).to.deep.equal(["R:create", "R:create"]);
    await qq.close();
    expect(log).to.deep.equal(["R:create", "R:create", "R:dispose"]);
    await q.close();
    expect(log).to.deep.equal(["R:create", "R:create", "R:dispose", "R:dispose"]);
  });

  it("singleton: one per container, kept after every scope closes, disposed by container.close()", async () => {
    defineService(c, log, "G", { lifetime: Lifetime.Singleton });
    const q1 = c.createScope();
    const a = await q1.resolve("G");
    await q1.close();
    const q2 = c.createScope();
    expect(await q2.resolve("G")).to.equal(a);
    await q2.close();
    expect(log).to.deep.equal(["G:create"]);
    await c.close();
    expect(log).to.deep.equal(["G:create", "G:dispose"]);
  });

  it("keepAliveMs: a resolve inside the window revives the instance with no hook and no disposal", async () => {
    defineService(c, log, "K", { keepAliveMs: 300, nmd: true });
    const q1 = c.createScope();
    const a = await q1.resolve("K");
    const t0 = performance.now();
    await q1.close();
    expect(since(t0)).to.be.lessThan(150);
    await delay(30);
    const q2 = c.createScope();
    expect(await q2.resolve("K")).to.equal(a);
    await delay(350);
    expect(log).to.deep.equal(["K:create"]);
    await q2.release("K");
    expect(log).to.deep.equal(["K:create"]);
    await delay(450);
    expect(log).to.deep.equal(["K:create", "K:nmd", "K:dispose"]);
    await q2.close();
  });

  it("keepAliveMs: container.close() does not wait for the window; it disposes at once", async () => {
    defineService(c, log, "K", { keepAliveMs: 10_000 });
    const q = c.createScope();
    await q.resolve("K");
    await q.close();
    const t0 = performance.now();
    await c.close();
    expect(since(t0)).to.be.lessThan(100);
    expect(log).to.deep.equal(["K:create", "K:dispose"]);
  });

  it("disposeTimeoutMs: a stuck disposal is abandoned with DisposeTimeoutError; its dependencies are released", async () => {
    defineService(c, log, "D");
    defineService(c, log, "Slow", { dependsOn: ["D"], disposeMs: 1_000, disposeTimeoutMs: 50 });
    const q = c.createScope();
    await q.resolve("Slow");
    const t0 = performance.now();
    const r = await settle(q.close());
    expect(since(t0)).to.be.within(40, 250);
    const err = (r as { error: unknown }).error;
    expect(err).to.be.instanceOf(DisposeTimeoutError);
    expect((err as DisposeTimeoutError).service).to.equal("Slow");
    expect((err as DisposeTimeoutError).code).to.equal("ERR_DISPOSE_TIMEOUT");
    expect(log).to.deep.equal(["D:create", "Slow:create", "Slow:dispose:begin", "D:dispose"]);
  });

  it("dependsOn: an inner array starts in parallel, in array order; the outer list in order", async () => {
    defineService(c, log, "P1", { createMs: 60 });
    defineService(c, log, "P2", { createMs: 60 });
    defineService(c, log, "Last");
    const S = defineService(c, log, "S", { dependsOn: [["P1", "P2"], "Last"] });
    const q = c.createScope();
    const t0 = performance.now();
    const s = (await q.resolve("S")) as TestInstance;
    expect(since(t0)).to.be.within(55, 200);
    expect(log).to.deep.equal([
      "P1:create:begin",
      "P2:create:begin",
      "P1:create:end",
      "P2:create:end",
      "Last:create",
      "S:create",
    ]);
    expect(s.deps.map((d) => (d as TestInstance).name)).to.deep.equal(["P1", "P2", "Last"]);
    expect(S.calls).to.equal(1);
    log.length = 0;
    await q.close();
    expect(log).to.deep.equal(["S:dispose", "Last:dispose", "P1:dispose", "P2:dispose"]);
  });

  it("independent constructor dependencies are disposed together; dependsOn steps one after another", async () => {
    const slow = (name: string) => ({
      async [Symbol.asyncDispose]() {
        log.push(`${name}:begin`);
        await delay(60);
        log.push(`${name}:end`);
      },
    });
    c.register("B", { useFactory: () => slow("B") });
    c.register("C", { useFactory: () => slow("C") });
    c.register("S1", { useFactory: () => slow("S1") });
    c.register("S2", { useFactory: () => slow("S2") });
    class A {
      static inject = ["B", "C"] as const;
      constructor(
        readonly b: unknown,
        readonly c: unknown,
      ) {}
    }
    c.register(A, { useClass: A }, { dependsOn: ["S1", "S2"] });
    const q = c.createScope();
    await q.resolve(A);
    const t0 = performance.now();
    await q.close();
    // The exact reverse of acquisition: the dependsOn steps (acquired after the parameters) one after
    // another, S2 then S1; then B and C, independent parameters, together.
    expect(log).to.deep.equal([
      "S2:begin",
      "S2:end",
      "S1:begin",
      "S1:end",
      "C:begin",
      "B:begin",
      "C:end",
      "B:end",
    ]);
    expect(since(t0)).to.be.within(170, 320);
  });

  it("a resolve that arrives while an instance is being released waits, then gets a fresh one", async () => {
    const S = defineService(c, log, "S", { disposeMs: 50 });
    const q1 = c.createScope();
    const a = await q1.resolve("S");
    const closing = q1.close();
    await delay(10);
    const q2 = c.createScope();
    const b = await q2.resolve("S");
    await closing;
    expect(b).to.not.equal(a);
    expect(S.calls).to.equal(2);
    expect(log).to.deep.equal(["S:create", "S:dispose:begin", "S:dispose:end", "S:create"]);
    await q2.close();
  });
});
