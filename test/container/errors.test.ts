// Every error class with its code, and the errors the container raises: paths, captive dependencies,
// use after close, bad input.
import { expect } from "chai";
import * as api from "asyncscope";
import {
  AsyncScopeError,
  ConfigurationError,
  Container,
  CycleError,
  inject,
  injectable,
  Lifetime,
  LifetimeError,
  ResolutionError,
  scopedService,
  ScopeClosedError,
  SuppressedError,
} from "asyncscope";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { defineService, delay, settle } from "../support/helpers.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));

const codes: [string, string][] = [
  ["ResolutionError", "ERR_UNREGISTERED"],
  ["CycleError", "ERR_CYCLE"],
  ["LifetimeError", "ERR_CAPTIVE"],
  ["ConfigurationError", "ERR_CONFIG"],
  ["ScopeClosedError", "ERR_SCOPE_CLOSED"],
  ["ScopeDiedError", "ERR_SCOPE_DIED"],
  ["CancelledError", "ERR_CANCELLED"],
  ["TimeoutError", "ERR_TIMEOUT"],
  ["DisposeTimeoutError", "ERR_DISPOSE_TIMEOUT"],
  ["ShutdownTimeoutError", "ERR_SHUTDOWN_TIMEOUT"],
  ["NotStartedError", "ERR_NOT_STARTED"],
  ["StateValidationError", "ERR_TRANSITION"],
  ["NotWhitelistedError", "ERR_NOT_WHITELISTED"],
];

describe("errors", () => {
  it("every error class extends AsyncScopeError, is named after itself and carries its code", () => {
    const args: Record<string, unknown[]> = {
      ResolutionError: ["m", ["a"]],
      CycleError: [["a", "a"]],
      LifetimeError: [["a", "b"], "shared"],
      ScopeClosedError: ["s", "x", "closed"],
      ScopeDiedError: ["s", new Error("c")],
      DisposeTimeoutError: ["s", 1],
      ShutdownTimeoutError: [1, ["t"]],
      StateValidationError: ["a", "b"],
      NotWhitelistedError: ["m"],
    };
    for (const [name, code] of codes) {
      const Cls = (api as unknown as Record<string, new (...a: unknown[]) => AsyncScopeError>)[name]!;
      const err = new Cls(...(args[name] ?? ["message"]));
      expect(err, name).to.be.instanceOf(AsyncScopeError).and.instanceOf(Error);
      expect(err.name).to.equal(name);
      expect(err.code).to.equal(code);
    }
  });

  it("SuppressedError: the runtime's own class where it has one (Node 24+), else a class that also knows TypeScript's down-level errors", () => {
    const e = new SuppressedError(new Error("D"), new Error("E"), "msg");
    expect(e.name).to.equal("SuppressedError");
    expect(e.message).to.equal("msg");
    expect((e.error as Error).message).to.equal("D");
    expect((e.suppressed as Error).message).to.equal("E");
    const helperMade = Object.assign(new Error("x"), { name: "SuppressedError", error: 1, suppressed: 2 });
    const native = (globalThis as { SuppressedError?: unknown }).SuppressedError;
    if (typeof native === "function") {
      // Built in (Node 24 and later): exported as it is; it knows only its own instances.
      expect(SuppressedError).to.equal(native);
      expect(e).to.be.instanceOf(native as new () => unknown);
      expect(helperMade).to.not.be.instanceOf(SuppressedError);
    } else {
      // Not built in (Node 20 and 22): the fallback class, which recognises the helper's plain Errors.
      expect(helperMade).to.be.instanceOf(SuppressedError);
    }
    expect(new Error("plain")).to.not.be.instanceOf(SuppressedError);
  });

  it("SuppressedError: both branches on any runtime, the global removed or installed before the library loads", async () => {
    const probe = (setup: string): Promise<string> =>
      run(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `${setup}
const { SuppressedError } = await import("asyncscope");
const helperMade = Object.assign(new Error("x"), { name: "SuppressedError", error: 1, suppressed: 2 });
const e = SuppressedError(1, 2);
console.log(JSON.stringify({
  global: SuppressedError === globalThis.SuppressedError,
  name: e.name, error: e.error, suppressed: e.suppressed,
  helperMade: helperMade instanceof SuppressedError,
  installed: "SuppressedError" in globalThis,
}));`,
        ],
        { cwd: root },
      ).then((r) => r.stdout.trim());
    expect(JSON.parse(await probe("delete globalThis.SuppressedError;"))).to.deep.equal({
      global: false,
      name: "SuppressedError",
      error: 1,
      suppressed: 2,
      helperMade: true,
      installed: false,
    });
    const installed = `globalThis.SuppressedError = function SuppressedError(error, suppressed) {
  const e = new Error("native"); e.name = "SuppressedError"; e.error = error; e.suppressed = suppressed; return e;
};`;
    expect(JSON.parse(await probe(installed))).to.deep.equal({
      global: true,
      name: "SuppressedError",
      error: 1,
      suppressed: 2,
      helperMade: false,
      installed: true,
    });
  });

  it("ResolutionError names the missing token and ends with the resolution path", async () => {
    const c = new Container();
    c.register("a", { useFactory: async (ctx) => ctx.resolve("b") });
    c.register("b", { useFactory: async () => 1 }, { dependsOn: ["x"] });
    const r = await settle(c.createScope().resolve("a"));
    const err = (r as { error: unknown }).error as ResolutionError;
    expect(err).to.be.instanceOf(ResolutionError);
    expect(err.code).to.equal("ERR_UNREGISTERED");
    expect(err.message).to.match(/No provider for "x"/);
    expect(err.message).to.match(/Resolution path: a -> b -> x$/);
    expect(err.path).to.deep.equal(["a", "b", "x"]);
    await c.close();
  });

  it("CycleError shows the whole path, A -> B -> C -> A, and a self-dependency", async () => {
    const log: string[] = [];
    const c = new Container();
    defineService(c, log, "A", { dependsOn: ["B"] });
    defineService(c, log, "B", { dependsOn: ["C"] });
    defineService(c, log, "C", { dependsOn: ["A"] });
    defineService(c, log, "Self", { dependsOn: ["Self"] });
    const q = c.createScope();
    const r = await settle(q.resolve("A"));
    expect(((r as { error: unknown }).error as CycleError).path).to.deep.equal(["A", "B", "C", "A"]);
    const s = await settle(q.resolve("Self"));
    expect((s as { error: unknown }).error).to.be.instanceOf(CycleError);
    expect(((s as { error: unknown }).error as CycleError).message).to.contain("Self -> Self");
    expect(log).to.deep.equal([]);
    await c.close();
  });

  it("CycleError for transient classes that need themselves through a chain (no stack overflow)", async () => {
    @injectable()
    class X {
      constructor(@inject("y") readonly y: unknown) {}
    }
    const c = new Container();
    c.register("y", { useClass: X }, { lifetime: Lifetime.Transient });
    const r = await settle(c.resolve(X));
    const err = (r as { error: unknown }).error as CycleError;
    expect(err.path).to.deep.equal(["y", "y"]);
    expect(err.message).to.contain("resolution path: X -> y -> y");
    await c.close();
  });

  it("CycleError when a join closes a cycle through an instance still being built synchronously", async () => {
    const c = new Container();
    @injectable()
    class Y {
      constructor(@inject("P2") readonly p2: unknown) {}
    }
    c.register("S", {
      useFactory: async (ctx) => {
        await delay(20);
        return ctx.resolve(Y);
      },
    });
    c.register("P2", { useFactory: () => ({}) }, { dependsOn: ["S"] });
    const q1 = c.createScope();
    const q2 = c.createScope();
    const s = settle(q1.resolve("S"));
    await delay(5);
    const p2 = settle(q2.resolve("P2"));
    const [rs, rp] = await Promise.all([s, p2]);
    const err = (rs as { error: unknown }).error as CycleError;
    expect(err).to.be.instanceOf(CycleError);
    expect(err.path).to.deep.equal(["S", "Y", "P2", "S"]);
    expect((rp as { error: unknown }).error).to.equal(err);
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
  });

  it("LifetimeError for a shared or singleton service that depends on a scoped one", async () => {
    @scopedService("req-ctx", { lifetime: Lifetime.Scoped })
    class RequestContext {}
    @scopedService("cache-captive")
    class Cache {
      constructor(readonly ctx: RequestContext) {}
    }
    const c = new Container();
    const r = await settle(c.createScope().resolve(Cache));
    const err = (r as { error: unknown }).error as LifetimeError;
    expect(err).to.be.instanceOf(LifetimeError);
    expect(err.code).to.equal("ERR_CAPTIVE");
    expect(err.path).to.deep.equal(["cache-captive", "req-ctx"]);
    expect(err.message).to.contain("cache-captive (shared) would capture the scoped service req-ctx");
    await c.close();
  });

  it("ScopeClosedError on every call that starts work on a closed container", async () => {
    const c = new Container();
    await c.close();
    expect(() => c.register("x", { useValue: 1 })).to.throw(ScopeClosedError);
    expect(() => c.createScope()).to.throw(ScopeClosedError);
    expect((await settle(c.resolve("x"))).ok).to.equal(false);
    await c.close();
  });

  it("bad input is a ConfigurationError that says what to do, and the container stays usable", async () => {
    const c = new Container();
    for (const bad of [undefined, null, 42, {}, []]) {
      expect(() => c.register(bad as never, { useValue: 1 }), String(bad)).to.throw(
        ConfigurationError,
        /valid token/,
      );
      expect((await settle(c.resolve(bad as never))).ok).to.equal(false);
    }
    expect(() => c.register("p", {} as never)).to.throw(ConfigurationError, /exactly one of/);
    expect(() => c.register("p", { useValue: 1, useFactory: () => 2 } as never)).to.throw(ConfigurationError);
    expect(() => c.register("p", { useClass: 3 } as never)).to.throw(
      ConfigurationError,
      /useClass must be a class/,
    );
    expect(() => c.register("p", { useValue: 1 }, { lifetime: "forever" as never })).to.throw(
      ConfigurationError,
    );
    expect(() =>
      c.register("p", { useFactory: () => 1 }, { lifetime: Lifetime.Scoped, keepAliveMs: 5 }),
    ).to.throw(ConfigurationError, /shared services only/);
    expect(() => c.register("p", { useFactory: () => 1 }, { disposeTimeoutMs: -1 })).to.throw(
      ConfigurationError,
    );
    expect(() =>
      c.register("p", { useFactory: () => 1 }, { dependsOn: [["a", ["b", "c"]]] as never }),
    ).to.throw(ConfigurationError, /only two levels/);
    expect(() => scopedService(5 as never)).to.throw(ConfigurationError);
    c.register("ok", { useValue: 1 });
    expect(await c.resolve("ok")).to.equal(1);
    await c.close();
  });

  it("a constructor parameter typed as an interface gets a ConfigurationError that names the fix", async () => {
    interface Port {
      send(): void;
    }
    @injectable()
    class Uses {
      constructor(readonly port: Port) {}
    }
    const c = new Container();
    const r = await settle(c.resolve(Uses));
    expect((r as { error: unknown }).error).to.be.instanceOf(ConfigurationError);
    expect(((r as { error: Error }).error as Error).message).to.match(/parameter 0.*@inject\(token\)/);
    await c.close();
  });
});
