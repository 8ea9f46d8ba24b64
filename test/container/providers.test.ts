// Providers (useClass, useValue, useFactory, useService, useExisting), multiple registrations, lookup,
// release, tsyringe-only classes and the tsyringe fallback.
import { expect } from "chai";
import {
  ConfigurationError,
  Container,
  delay as delayToken,
  inject,
  injectable,
  injectAll,
  ScopeDiedError,
} from "asyncscope";
import { container as tsyringeContainer, scoped, singleton, Lifecycle } from "tsyringe";
import { defineService, delay, settle, type Log } from "../support/helpers.js";

describe("providers", () => {
  let log: Log;
  let c: Container;
  beforeEach(() => {
    log = [];
    c = new Container();
  });
  afterEach(() => c.close());

  it("useValue is never disposed and gets no hooks", async () => {
    let disposed = false;
    const value = { [Symbol.dispose]: () => void (disposed = true) };
    c.register("v", { useValue: value });
    const q = c.createScope();
    expect(await q.resolve("v")).to.equal(value);
    await q.close();
    await c.close();
    expect(disposed).to.equal(false);
  });

  it("useExisting is an alias to the same instance, released through either token", async () => {
    defineService(c, log, "real");
    c.register("alias", { useExisting: "real" });
    const q = c.createScope();
    const a = await q.resolve("alias");
    expect(await q.resolve("real")).to.equal(a);
    await q.release("alias");
    expect(log).to.deep.equal(["real:create"]);
    await q.release("real");
    expect(log).to.deep.equal(["real:create", "real:dispose"]);
    await q.close();
  });

  it("registering a token again adds a provider: resolve uses the last, resolveAll returns all in order", async () => {
    c.register("plugin", { useValue: "a" });
    c.register("plugin", { useFactory: () => "b" });
    c.register("plugin", { useValue: "c" });
    const q = c.createScope();
    expect(await q.resolve("plugin")).to.equal("c");
    expect(await q.resolveAll("plugin")).to.deep.equal(["a", "b", "c"]);
    @injectable()
    class Host {
      constructor(@injectAll("plugin") readonly plugins: string[]) {}
    }
    expect((await q.resolve(Host)).plugins).to.deep.equal(["a", "b", "c"]);
    await q.close();
  });

  it("useService: register() publishes, noMoreDependents() resolves on the last release, cleanup runs before deps go", async () => {
    defineService(c, log, "Conn");
    c.register(
      "svc",
      {
        useService: async (svc) => {
          log.push("svc:start");
          svc.register({ name: "svc" });
          await svc.noMoreDependents();
          await delay(10);
          log.push("svc:cleanup");
        },
      },
      { dependsOn: ["Conn"] },
    );
    const q1 = c.createScope();
    const q2 = c.createScope();
    const a = await q1.resolve("svc");
    expect(await q2.resolve("svc")).to.equal(a);
    await q1.close();
    expect(log).to.deep.equal(["Conn:create", "svc:start"]);
    await q2.close();
    expect(log).to.deep.equal(["Conn:create", "svc:start", "svc:cleanup", "Conn:dispose"]);
  });

  it("useService that throws before register: every waiter receives that error", async () => {
    const E = new Error("E");
    c.register("svc", {
      useService: async () => {
        await delay(10);
        throw E;
      },
    });
    const q = c.createScope();
    const [r1, r2] = await Promise.all([settle(q.resolve("svc")), settle(q.resolve("svc"))]);
    expect((r1 as { error: unknown }).error).to.equal(E);
    expect((r2 as { error: unknown }).error).to.equal(E);
    await q.close();
  });

  it("useService that never registers: waiters receive a ConfigurationError", async () => {
    c.register("svc", { useService: async () => undefined });
    const r = await settle(c.createScope().resolve("svc"));
    expect((r as { error: unknown }).error).to.be.instanceOf(ConfigurationError);
    expect(((r as { error: Error }).error as ConfigurationError).code).to.equal("ERR_CONFIG");
  });

  it("useService that calls register() twice: the second call throws ConfigurationError, the first value stands", async () => {
    let second: unknown;
    c.register("svc", {
      useService: async (svc) => {
        svc.register(1);
        try {
          svc.register(2);
        } catch (err) {
          second = err;
        }
        await svc.noMoreDependents();
      },
    });
    const q = c.createScope();
    expect(await q.resolve("svc")).to.equal(1);
    expect(second).to.be.instanceOf(ConfigurationError);
    await q.close();
  });

  it("useService that throws after register crashes the service: its holders see ScopeDiedError", async () => {
    const E = new Error("late");
    c.register("svc", {
      useService: async (svc) => {
        svc.register("v");
        await delay(20);
        throw E;
      },
    });
    const q = c.createScope();
    await q.resolve("svc");
    const r = await settle(q.done);
    const err = (r as { error: unknown }).error as ScopeDiedError;
    expect(err).to.be.instanceOf(ScopeDiedError);
    expect(err.service).to.equal("svc");
    expect(err.cause).to.equal(E);
  });

  it("an async factory's ctx.resolve records an edge: the dependency outlives the dependent", async () => {
    defineService(c, log, "Dep");
    c.register("Top", {
      useFactory: async (ctx) => {
        await ctx.resolve("Dep");
        return { [Symbol.dispose]: () => log.push("Top:dispose") };
      },
    });
    const q = c.createScope();
    await q.resolve("Top");
    expect(c.inspect().instances.find((i) => i.token === "Dep")!.holders).to.deep.equal([
      c.inspect().instances.find((i) => i.token === "Top")!.id,
    ]);
    await q.close();
    expect(log).to.deep.equal(["Dep:create", "Top:dispose", "Dep:dispose"]);
  });

  it("lookup never creates and never waits; it takes a reference when found ready", async () => {
    defineService(c, log, "S", { createMs: 20 });
    const q = c.createScope();
    expect(q.lookup("S")).to.equal(undefined);
    const p = q.resolve("S");
    expect(q.lookup("S")).to.equal(undefined);
    const s = await p;
    const q2 = c.createScope();
    expect(q2.lookup("S")).to.equal(s);
    await q.close();
    expect(log).to.not.include("S:dispose");
    await q2.close();
    expect(log).to.include("S:dispose");
  });

  it("release of a token the scope does not hold is a silent no-op", async () => {
    defineService(c, log, "S");
    const q1 = c.createScope();
    const q2 = c.createScope();
    await q1.resolve("S");
    await q2.release("S");
    await q2.release("unknown-token");
    expect(log).to.deep.equal(["S:create"]);
    await q1.close();
    await q2.close();
  });

  it("a child scope cannot release its parent's references", async () => {
    defineService(c, log, "S");
    const parent = c.createScope();
    const child = parent.createScope();
    await parent.resolve("S");
    await child.release("S");
    await child.close();
    expect(log).to.deep.equal(["S:create"]);
    await parent.close();
    expect(log).to.deep.equal(["S:create", "S:dispose"]);
  });
});

describe("tsyringe interop", () => {
  it("classes decorated only with tsyringe decorators resolve unchanged, with their lifetimes", async () => {
    @singleton()
    class Clock {}
    @scoped(Lifecycle.ContainerScoped)
    class RequestInfo {}
    @injectable()
    class Service {
      constructor(
        readonly clock: Clock,
        readonly info: RequestInfo,
        @inject("name") readonly name: string,
      ) {}
    }
    const c = new Container();
    c.register("name", { useValue: "svc" });
    const q1 = c.createScope();
    const q2 = c.createScope();
    const a = await q1.resolve(Service);
    const b = await q1.resolve(Service);
    const d = await q2.resolve(Service);
    expect(a).to.not.equal(b);
    expect(a.clock).to.equal(d.clock);
    expect(a.info).to.equal(b.info);
    expect(a.info).to.not.equal(d.info);
    expect(a.name).to.equal("svc");
    const lifetimes = Object.fromEntries(c.inspect().instances.map((i) => [i.token, i.lifetime]));
    // Service (transient, nothing to dispose, only pinned dependencies) is not tracked: a != b shows its lifetime.
    expect(lifetimes).to.deep.equal({ Clock: "singleton", RequestInfo: "scoped" });
    await c.close();
  });

  it("delay(() => Class) resolves a class declared later", async () => {
    @injectable()
    class A {
      constructor(@inject(delayToken(() => B)) readonly b: unknown) {}
    }
    @injectable()
    class B {}
    const c = new Container();
    expect((await c.resolve(A)).b).to.be.instanceOf(B);
    await c.close();
  });

  it("falls back to an existing tsyringe container for tokens it does not know, and never disposes them", async () => {
    const legacy = tsyringeContainer.createChildContainer();
    let disposed = false;
    legacy.register("legacy", { useValue: { dispose: () => void (disposed = true) } });
    const c = new Container({ fallback: legacy });
    const value = await c.createScope().resolve("legacy");
    expect(value).to.equal(legacy.resolve("legacy"));
    await c.close();
    expect(disposed).to.equal(false);
  });
});
