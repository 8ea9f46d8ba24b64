// Injected faults reach exactly one receiver: the caller whose operation triggered them (resolve, release,
// close), or the container's logger when nobody can receive them (SEMANTICS 4.5, 9.6).
import { expect } from "chai";
import {
  CancelledError,
  Container,
  DisposeTimeoutError,
  Lifetime,
  onInit,
  ScopeDiedError,
  sleep,
  type Provider,
  type Scope,
} from "asyncscope";
import { delay, flattenErrors, loggedContainer, settle } from "../support/helpers.js";

/** A provider whose factory fails with `error` after `ms`. */
const failingAfter = (ms: number, error: Error): Provider<never> => ({
  useFactory: async () => {
    await delay(ms);
    throw error;
  },
});

/** A provider whose instances take `ms` to dispose. */
const slowToDispose = (ms: number): Provider<AsyncDisposable> => ({
  useFactory: () => ({ [Symbol.asyncDispose]: () => delay(ms) }),
});

describe("error delivery", () => {
  it("a useService whose cleanup throws rejects release() and close() with that error, and logs nothing", async () => {
    const { c, logger } = loggedContainer();
    const thrown: Error[] = [];
    c.register("conn", {
      useService: async (svc) => {
        svc.register({});
        await svc.noMoreDependents();
        const e = new Error(`cleanup ${thrown.length}`);
        thrown.push(e);
        throw e;
      },
    });
    const q = c.createScope();
    await q.resolve("conn");
    const released = await settle(q.release("conn"));
    expect(released).to.deep.equal({ ok: false, error: thrown[0] });
    await q.resolve("conn");
    const closed = await settle(q.close());
    expect(closed).to.deep.equal({ ok: false, error: thrown[1] });
    expect(logger.entries).to.deep.equal([]);
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
  });

  it("a useService whose cleanup hangs past disposeTimeoutMs gives one DisposeTimeoutError, and its cancellation is no error", async () => {
    const { c, logger } = loggedContainer();
    c.register(
      "conn",
      {
        useService: async (svc) => {
          svc.register({});
          await svc.noMoreDependents();
          await new Promise((resolve) => svc.signal.addEventListener("abort", resolve, { once: true }));
        },
      },
      { disposeTimeoutMs: 5 },
    );
    const q = c.createScope();
    await q.resolve("conn");
    const released = await settle(q.release("conn"));
    expect((released as { error: unknown }).error).to.be.instanceOf(DisposeTimeoutError);
    await delay(5);
    expect(logger.entries).to.deep.equal([]);
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
  });

  it("a useService that crashes is reported once, as the cause of its holder's ScopeDiedError, not again on disposal", async () => {
    const { c, logger } = loggedContainer();
    const crash = new Error("connection lost");
    c.register("conn", {
      useService: async (svc) => {
        svc.register({});
        await delay(1);
        throw crash;
      },
    });
    const q = c.createScope();
    await q.resolve("conn");
    const closed = await settle(q.done);
    const died = (closed as { error: unknown }).error as ScopeDiedError;
    expect(died).to.be.instanceOf(ScopeDiedError);
    expect(died.cause).to.equal(crash);
    expect(logger.entries).to.deep.equal([]);
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
  });

  describe("a crash while nobody holds the service (its keep-alive window)", () => {
    /** A shared service whose background task fails when `crash` is called. */
    function crashable(c: Container, name: string, log: string[], options: { dependsOn?: string[] } = {}) {
      const crashes: ((err: Error) => void)[] = [];
      c.register(
        name,
        {
          useFactory: (ctx) => {
            ctx.scope.spawn(
              (signal) =>
                new Promise<void>((resolve, reject) => {
                  crashes.push(reject);
                  signal.addEventListener("abort", () => resolve(), { once: true });
                }),
            );
            log.push(`${name}:create`);
            return { [Symbol.dispose]: () => void log.push(`${name}:dispose`) };
          },
        },
        { keepAliveMs: 60_000, ...options },
      );
      return (err: Error) => crashes.at(-1)!(err);
    }

    it("is reported to container.close() and disposes the idle instance at once", async () => {
      const { c, logger } = loggedContainer();
      const log: string[] = [];
      const crash = crashable(c, "S", log);
      const q = c.createScope();
      await q.resolve("S");
      await q.release("S");
      const E = new Error("crashed while idle");
      crash(E);
      await delay(5);
      expect(log).to.deep.equal(["S:create", "S:dispose"]);
      expect(c.inspect().instances).to.deep.equal([]);
      expect(await settle(c.close())).to.deep.equal({ ok: false, error: E });
      expect(logger.entries).to.deep.equal([]);
    });

    it("disposes an idle dependent first; the next resolve builds both afresh", async () => {
      const { c, logger } = loggedContainer();
      const log: string[] = [];
      const crashB = crashable(c, "B", log);
      crashable(c, "A", log, { dependsOn: ["B"] });
      const q = c.createScope();
      await q.resolve("A");
      await q.release("A");
      const E = new Error("dependency crashed while idle");
      crashB(E);
      await delay(5);
      expect(log).to.deep.equal(["B:create", "A:create", "A:dispose", "B:dispose"]);
      expect(c.inspect().instances).to.deep.equal([]);
      await q.resolve("A");
      expect(log.slice(4)).to.deep.equal(["B:create", "A:create"]);
      await q.close();
      expect(await settle(c.close())).to.deep.equal({ ok: false, error: E });
      expect(logger.entries).to.deep.equal([]);
    });

    it("a crash that reaches only a scope already cancelled goes to container.close(); the scope ends as it would", async () => {
      const { c, logger } = loggedContainer();
      const log: string[] = [];
      const crash = crashable(c, "S", log);
      const q = c.createScope();
      await q.resolve("S");
      // A task that takes a while to stop keeps q closing, still holding S.
      q.spawn(
        (signal) => new Promise((resolve) => signal.addEventListener("abort", () => setTimeout(resolve, 10))),
      );
      q.cancel();
      const E = new Error("crashed while its holder was shutting down");
      crash(E);
      expect(await settle(q.done)).to.deep.equal({ ok: true, value: undefined });
      expect(log).to.deep.equal(["S:create", "S:dispose"]);
      expect(await settle(c.close())).to.deep.equal({ ok: false, error: E });
      expect(logger.entries).to.deep.equal([]);
    });

    it("a crash under a dependent that is still starting fails that creation with ScopeDiedError", async () => {
      const { c, logger } = loggedContainer();
      const log: string[] = [];
      const crash = crashable(c, "S", log);
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      c.register(
        "D",
        {
          useFactory: async () => {
            await gate;
            log.push("D:create");
            return { [Symbol.dispose]: () => void log.push("D:dispose") };
          },
        },
        { dependsOn: ["S"] },
      );
      const q = c.createScope();
      const dependent = settle(q.resolve("D"));
      await delay(1);
      const E = new Error("crashed under a starting dependent");
      crash(E);
      open();
      const got = (await dependent) as { error: ScopeDiedError };
      expect(got.error).to.be.instanceOf(ScopeDiedError);
      expect(got.error.service).to.equal("S");
      expect(got.error.cause).to.equal(E);
      expect(log).to.deep.equal(["S:create", "D:create", "D:dispose", "S:dispose"]);
      // The next resolve gets a fresh S at once.
      await q.resolve("S");
      expect(log.at(-1)).to.equal("S:create");
      await q.close();
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });

    it("two crashes under a dependent still starting: its creation reports both, in order", async () => {
      const { c, logger } = loggedContainer();
      const log: string[] = [];
      const crashA = crashable(c, "A", log);
      const crashB = crashable(c, "B", log);
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      c.register("D", { useFactory: () => gate.then(() => ({})) }, { dependsOn: ["A", "B"] });
      const dependent = settle(c.createScope().resolve("D"));
      await delay(1);
      const [EA, EB] = [new Error("A crashed"), new Error("B crashed")];
      crashA(EA);
      crashB(EB);
      open();
      const errors = flattenErrors(((await dependent) as { error: unknown }).error) as ScopeDiedError[];
      expect(errors.map((e) => [e.constructor, e.service, e.cause])).to.deep.equal([
        [ScopeDiedError, "A", EA],
        [ScopeDiedError, "B", EB],
      ]);
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });

    it("a crash under a dependent whose failed creation is being torn down is reported with that failure", async () => {
      const { c, logger } = loggedContainer();
      const log: string[] = [];
      const crash = crashable(c, "S", log);
      const failed = new Error("D failed");
      let disposing!: () => void;
      const disposalStarted = new Promise<void>((resolve) => (disposing = resolve));
      class D {
        @onInit()
        init(): void {
          throw failed;
        }
        async [Symbol.asyncDispose](): Promise<void> {
          disposing();
          await delay(5);
        }
      }
      c.register("D", { useFactory: () => new D() }, { dependsOn: ["S"] });
      const dependent = settle(c.createScope().resolve("D"));
      await disposalStarted;
      const E = new Error("crashed while its dependent's creation was failing");
      crash(E);
      const errors = flattenErrors(((await dependent) as { error: unknown }).error);
      expect(errors[0]).to.equal(failed);
      expect(errors.slice(1).map((e) => (e as ScopeDiedError).cause)).to.deep.equal([E]);
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });

    it("a dependent of a crashed service is not handed out again while its holders shut down", async () => {
      const { c, logger } = loggedContainer();
      const log: string[] = [];
      const crashS = crashable(c, "S", log);
      crashable(c, "D", log, { dependsOn: ["S"] });
      const q1 = c.createScope("q1");
      const first = await q1.resolve("D");
      // A task that takes a while to stop keeps q1 holding D (and so S) after the crash cancels it.
      q1.spawn(
        (signal) => new Promise((resolve) => signal.addEventListener("abort", () => setTimeout(resolve, 20))),
      );
      const E = new Error("crashed under a live dependent");
      crashS(E);
      await delay(1);
      const q2 = c.createScope("q2");
      const hung = delay(500).then(() => "hung");
      // Not the old D, whose S is dead: a fresh D on a fresh S, once the old ones are gone.
      const second = await Promise.race([q2.resolve("D"), hung]);
      expect(second).to.not.equal("hung");
      expect(second).to.not.equal(first);
      expect(await Promise.race([q2.resolve("S"), hung])).to.not.equal("hung");
      expect(log).to.deep.equal(["S:create", "D:create", "D:dispose", "S:dispose", "S:create", "D:create"]);
      const died = ((await settle(q1.done)) as { error: ScopeDiedError }).error;
      expect(died.cause).to.equal(E);
      await q2.close();
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });

    it("a crashed service is disposed when its holders are gone, not kept alive; a resolve gets a fresh one", async () => {
      const { c, logger } = loggedContainer();
      const log: string[] = [];
      const crash = crashable(c, "S", log);
      const q = c.createScope();
      await q.resolve("S");
      const E = new Error("crashed while held");
      crash(E);
      const closed = (await settle(q.done)) as { error: ScopeDiedError };
      expect(closed.error.cause).to.equal(E);
      expect(log).to.deep.equal(["S:create", "S:dispose"]);
      const q2 = c.createScope();
      await q2.resolve("S");
      expect(log).to.deep.equal(["S:create", "S:dispose", "S:create"]);
      await q2.close();
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });
  });

  it("a background task that fails while its async factory returns is reported once, whatever the timing", async () => {
    for (let ticks = 0; ticks < 6; ticks++) {
      const { c, logger } = loggedContainer();
      const E = new Error(`background task failed after ${ticks} ticks`);
      c.register("S", {
        useFactory: async (ctx) => {
          ctx.scope.spawn(async () => {
            for (let i = 0; i < ticks; i++) await null;
            throw E;
          });
          return {};
        },
      });
      const q = c.createScope();
      const resolved = await settle(q.resolve("S"));
      await delay(1);
      const closed = await settle(q.close());
      await c.close();
      // Failed while starting: the resolve rejects with it. Failed once ready: a crash, seen by the holder.
      const reports = [resolved, closed].flatMap((r) =>
        r.ok ? [] : [r.error instanceof ScopeDiedError ? r.error.cause : r.error],
      );
      expect(reports, `after ${ticks} ticks`).to.deep.equal([E]);
      expect(logger.entries).to.deep.equal([]);
      expect(c.inspect().instances).to.deep.equal([]);
    }
  });

  it("two members of a parallel group that fail together: the first rejects the resolve, the second is logged", async () => {
    const { c, logger } = loggedContainer();
    const errors = { A: new Error("create A"), B: new Error("create B") };
    for (const name of ["A", "B"] as const) {
      c.register(name, {
        useFactory: async () => {
          throw errors[name];
        },
      });
    }
    c.register("S", { useFactory: () => ({}) }, { dependsOn: [["A", "B"]] });
    expect(await settle(c.resolve("S"))).to.deep.equal({ ok: false, error: errors.A });
    expect(logger.entries.map((e) => [e.level, e.rest[0]])).to.deep.equal([["warn", errors.B]]);
    expect(logger.entries[0]!.msg).to.contain("B");
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
  });

  it("a dependency's creation error that a requester received is not logged again for an abandoned dependent", async () => {
    const { c, logger } = loggedContainer();
    const E = new Error("create B failed");
    c.register("A", slowToDispose(20));
    c.register("B", failingAfter(5, E));
    c.register("D", { useFactory: () => ({}) }, { dependsOn: ["A", "B"] });
    const [q1, q2] = [c.createScope("q1"), c.createScope("q2")];
    const direct = settle(q1.resolve("B"));
    const viaDependent = settle(q2.resolve("D"));
    // B fails; while D's failed creation releases A (20 ms), q2 goes away: D is abandoned.
    await delay(10);
    await q2.close();
    expect(await direct).to.deep.equal({ ok: false, error: E });
    expect(((await viaDependent) as { error: unknown }).error).to.be.instanceOf(CancelledError);
    await delay(30);
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });

  it("a dependency's creation error is not logged for an abandoned dependent when another dependent delivers it later", async () => {
    const { c, logger } = loggedContainer();
    const E = new Error("create S failed");
    c.register("S", failingAfter(5, E));
    // Their failed creations release a slow dependency: D2 finishes first, D1 later.
    c.register("A1", slowToDispose(40));
    c.register("A2", slowToDispose(15));
    c.register("D1", { useFactory: () => ({}) }, { dependsOn: ["A1", "S"] });
    c.register("D2", { useFactory: () => ({}) }, { dependsOn: ["A2", "S"] });
    const [q1, q2] = [c.createScope("q1"), c.createScope("q2")];
    const d1 = settle(q1.resolve("D1"));
    const d2 = settle(q2.resolve("D2"));
    // S fails at 5 ms; D2, torn down until about 20 ms, is abandoned at 10 ms.
    await delay(10);
    await q2.close();
    expect(((await d2) as { error: unknown }).error).to.be.instanceOf(CancelledError);
    expect(await d1).to.deep.equal({ ok: false, error: E });
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });

  it("a dependency's creation error that only abandoned dependents carried is logged once", async () => {
    const { c, logger } = loggedContainer();
    const E = new Error("create S failed");
    c.register("S", failingAfter(5, E));
    c.register("A", slowToDispose(15), { lifetime: Lifetime.Transient });
    c.register("D", { useFactory: () => ({}) }, { dependsOn: ["A", "S"], lifetime: Lifetime.Transient });
    const q = c.createScope("q");
    const both = [settle(q.resolve("D")), settle(q.resolve("D"))];
    await delay(10);
    await q.close();
    for (const got of await Promise.all(both))
      expect((got as { error: unknown }).error).to.be.instanceOf(CancelledError);
    await delay(20);
    expect(logger.entries.map((e) => [e.level, e.msg, e.rest[0]])).to.deep.equal([
      ["warn", "Abandoned D failed (creating S; resolution path: D -> S): Error: create S failed", E],
    ]);
    await c.close();
  });

  it("a creation abandoned as the container closes: its late disposal's errors still reach container.close()", async () => {
    const { c, logger } = loggedContainer();
    const D = new Error("dependency disposal failed");
    // Own background tasks give each release a few more steps, as real services have.
    const watch = (scope: Scope): void =>
      void scope.spawn(
        (signal) => new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve())),
      );
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    c.register("S0", {
      useFactory: (ctx) => {
        watch(ctx.scope);
        return {
          dispose: () => {
            throw D;
          },
        };
      },
    });
    c.register(
      "S1",
      {
        useFactory: async (ctx) => {
          await gate;
          watch(ctx.scope);
          return { [Symbol.asyncDispose]: async () => undefined };
        },
      },
      { dependsOn: ["S0"] },
    );
    const q = c.createScope();
    const resolved = settle(q.resolve("S1"));
    await delay(1);
    await q.close();
    expect(((await resolved) as { error: unknown }).error).to.be.instanceOf(CancelledError);
    const closing = settle(c.close());
    setTimeout(open, 1);
    expect(await closing).to.deep.equal({ ok: false, error: D });
    expect(logger.entries).to.deep.equal([]);
  });

  describe("a background task that fails while the instance is still starting", () => {
    it("and then an @onInit hook fails too: the creation reports both, the task's first", async () => {
      const { c, logger } = loggedContainer();
      const taskError = new Error("background task failed");
      const hookError = new Error("init failed");
      class Hooked {
        @onInit()
        async init(): Promise<void> {
          await delay(5);
          throw hookError;
        }
      }
      c.register("S", {
        useFactory: (ctx) => {
          ctx.scope.spawn(async () => {
            throw taskError;
          });
          return new Hooked();
        },
      });
      const got = await settle(c.createScope().resolve("S"));
      expect(flattenErrors((got as { error: unknown }).error)).to.deep.equal([taskError, hookError]);
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    });

    it("of a useService that already registered: it is told noMoreDependents and cleans up at once", async () => {
      const { c, logger } = loggedContainer();
      const taskError = new Error("background task failed");
      const log: string[] = [];
      c.register("svc", {
        useService: async (svc) => {
          svc.spawn(async () => {
            throw taskError;
          });
          await null;
          svc.register({});
          await svc.noMoreDependents();
          log.push("cleaned up");
        },
      });
      const t0 = performance.now();
      expect(await settle(c.createScope().resolve("svc"))).to.deep.equal({ ok: false, error: taskError });
      // Not after the 1 s a task that ignores its cancellation is given.
      expect(performance.now() - t0).to.be.lessThan(500);
      expect(log).to.deep.equal(["cleaned up"]);
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });

    it("and the factory then fails with the cancellation that caused: the creation fails with the task's error", async () => {
      const { c, logger } = loggedContainer();
      const taskError = new Error("background task failed");
      c.register("S", {
        useFactory: async (ctx) => {
          ctx.scope.spawn(async () => {
            throw taskError;
          });
          // The own scope is cancelled when its task fails: this rejects with that cancellation.
          await sleep(60_000, ctx.scope.signal);
          return {};
        },
      });
      expect(await settle(c.createScope().resolve("S"))).to.deep.equal({ ok: false, error: taskError });
      expect(logger.entries).to.deep.equal([]);
      await c.close();
    });
  });
});
