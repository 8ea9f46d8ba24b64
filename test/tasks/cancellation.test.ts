// Cancellation through AbortSignal everywhere a library call waits, first reason wins, concurrent cleanup,
// forks and child scopes (SEMANTICS 5.5–5.10, 9.3–9.5).
import { expect } from "chai";
import { CancelledError, Container, currentScope, sleep, TimeoutError, type Scope } from "asyncscope";
import { defineService, delay, recordingLogger, since, settle, wait, type Log } from "../support/helpers.js";

describe("cancellation and nested scopes", () => {
  let log: Log;
  let c: Container;
  let logger: ReturnType<typeof recordingLogger>;
  beforeEach(() => {
    log = [];
    logger = recordingLogger();
    c = new Container({ logger });
  });
  afterEach(() => c.close());

  it("resolve with its own signal rejects with signal.reason and drops its claim", async () => {
    const S = defineService(c, log, "S", { createMs: 200 });
    const q = c.createScope();
    const ac = new AbortController();
    const reason = new Error("user gave up");
    const p = settle(q.resolve("S", { signal: ac.signal }));
    setTimeout(() => ac.abort(reason), 20);
    expect(((await p) as { error: unknown }).error).to.equal(reason);
    expect(log).to.deep.equal(["S:create:begin", "S:create:aborted"]);
    expect(S.calls).to.equal(1);
    const already = new AbortController();
    already.abort(reason);
    expect(((await settle(q.resolve("S", { signal: already.signal }))) as { error: unknown }).error).to.equal(
      reason,
    );
    await q.close();
  });

  it("resolve with timeoutMs rejects with TimeoutError; creation goes on for the other waiters", async () => {
    defineService(c, log, "S", { createMs: 100 });
    const q1 = c.createScope();
    const q2 = c.createScope();
    const t0 = performance.now();
    const short = settle(q1.resolve("S", { timeoutMs: 20 }));
    const long = q2.resolve("S");
    const r = await short;
    expect(since(t0)).to.be.within(15, 150);
    expect((r as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(await long).to.be.an("object");
    expect(log).to.deep.equal(["S:create:begin", "S:create:end"]);
    await q1.close();
    await q2.close();
  });

  it("a resolve inside a task is cancelled with that task", async () => {
    defineService(c, log, "S", { createMs: 500 });
    const q = c.createScope();
    const t = q.spawn(() => q.resolve("S"));
    await delay(20);
    t.cancel();
    const r = await settle(Promise.resolve(t));
    expect((r as { error: unknown }).error).to.be.instanceOf(CancelledError);
    await delay(5);
    expect(log).to.deep.equal(["S:create:begin", "S:create:aborted"]);
    await q.close();
  });

  it("sleep() is cancelled by the running task's signal by default", async () => {
    const q = c.createScope();
    const t0 = performance.now();
    const t = q.spawn(() => sleep(10_000));
    setTimeout(() => t.cancel(), 20);
    expect(((await settle(Promise.resolve(t))) as { error: unknown }).error).to.be.instanceOf(CancelledError);
    expect(since(t0)).to.be.lessThan(200);
    await q.close();
  });

  it("start() resolves at ready(), the task keeps running, and it rejects if the task fails first", async () => {
    const q = c.createScope();
    const port = await q.start<number>(async (ready, signal) => {
      ready(8080);
      try {
        await wait(10_000, signal);
      } finally {
        log.push("server:stopped");
      }
    });
    expect(port).to.equal(8080);
    expect(log).to.deep.equal([]);
    const E = new Error("bind failed");
    const r = await settle(
      q.start(async () => {
        throw E;
      }),
    );
    expect((r as { error: unknown }).error).to.equal(E);
    expect(q.state).to.equal("open");
    const never = await settle(q.start(async () => undefined));
    expect((never as { error: Error }).error.name).to.equal("ConfigurationError");
    q.cancel();
    await q.done;
    expect(log).to.deep.equal(["server:stopped"]);
  });

  it("a task cancelled before its first line never runs, and its handle rejects", async () => {
    const q = c.createScope();
    let ran = false;
    const t = q.spawn(() => void (ran = true));
    t.cancel();
    expect(((await settle(Promise.resolve(t))) as { error: unknown }).error).to.be.instanceOf(CancelledError);
    expect(ran).to.equal(false);
    await q.close();
  });

  it("the first cancel reason wins; cancel() without a reason ends without an error", async () => {
    const first = new Error("first");
    const q = c.createScope();
    q.spawn((signal) => wait(10_000, signal));
    q.cancel(first);
    q.cancel(new Error("second"));
    expect(q.signal.reason).to.equal(first);
    expect(((await settle(q.done)) as { error: unknown }).error).to.equal(first);
    const clean = c.createScope();
    clean.spawn((signal) => wait(10_000, signal));
    clean.cancel();
    clean.cancel(new Error("too late"));
    await clean.done;
  });

  it("cancelled tasks clean up concurrently: ten 200 ms cleanups take about 200 ms", async () => {
    const q = c.createScope();
    for (let i = 0; i < 10; i++) {
      q.spawn(async (signal) => {
        try {
          await wait(10_000, signal);
        } catch {
          await delay(200);
        }
      });
    }
    await delay(1);
    const t0 = performance.now();
    q.cancel();
    await q.done;
    expect(since(t0)).to.be.within(190, 400);
  });

  it("errors thrown by tasks while being cancelled go to the logger (warn), not the outcome", async () => {
    const q = c.createScope();
    q.spawn(async (signal) => {
      await wait(10_000, signal).catch(() => undefined);
      throw new Error("cleanup failed");
    });
    await delay(1);
    q.cancel();
    await q.done;
    const warns = logger.entries.filter((e) => e.level === "warn");
    expect(warns.map((w) => w.msg)).to.deep.equal([
      "Task task-1 threw while being cancelled: Error: cleanup failed",
    ]);
  });

  it("close() waits for awaited tasks and cancels only awaited: false tasks and child scopes", async () => {
    const q = c.createScope();
    q.spawn(async () => {
      await delay(50);
      log.push("awaited:done");
    });
    q.spawn((signal) => wait(10_000, signal).catch(() => void log.push("background:cancelled")), {
      awaited: false,
    });
    const child = q.createScope("child");
    child.spawn((signal) => wait(10_000, signal).catch(() => void log.push("child:cancelled")));
    await q.close();
    expect(log).to.deep.equal(["awaited:done", "background:cancelled", "child:cancelled"]);
    expect(child.state).to.equal("closed");
  });

  it("a fork ends cleanly when its parent is cancelled; an unobserved fork error is logged, not rethrown", async () => {
    const parent = c.createScope("parent");
    const fork = parent.fork({ name: "fork" });
    fork.spawn((signal) => wait(10_000, signal));
    parent.cancel();
    await parent.done;
    await fork.done;

    const p2 = c.createScope("p2");
    const f2 = p2.fork({ name: "f2" });
    const E = new Error("fork failed");
    f2.spawn(async () => {
      throw E;
    });
    await delay(5);
    expect(p2.state).to.equal("open");
    await p2.close();
    const errors = logger.entries.filter((e) => e.level === "error");
    expect(errors).to.have.length(1);
    expect(errors[0]!.msg).to.contain("f2");
    expect(errors[0]!.rest[0]).to.equal(E);
  });

  it("a child scope's error is reported once: to whoever awaits it, else to the parent that closes it", async () => {
    const E = new Error("child failed");
    const parent = c.createScope("parent");
    const child = parent.createScope("child");
    child.spawn(async () => {
      throw E;
    });
    await delay(5);
    expect(child.state).to.equal("closed");
    expect(parent.state).to.equal("open");
    expect(((await settle(parent.close())) as { error: unknown }).error).to.equal(E);

    const parent2 = c.createScope("parent2");
    const child2 = parent2.createScope("child2");
    child2.spawn(async () => {
      throw E;
    });
    expect(((await settle(child2.done)) as { error: unknown }).error).to.equal(E);
    await parent2.close();
  });

  it("timeouts: an outer timeout ends an inner scope; an inner one surfaces through the outer body", async () => {
    const t0 = performance.now();
    const outer = await settle(
      c.withScope(
        (s) =>
          s.withScope(async (inner) => void inner.spawn((signal) => wait(10_000, signal)), {
            timeoutMs: 1000,
          }),
        { timeoutMs: 60 },
      ),
    );
    expect((outer as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(since(t0)).to.be.lessThan(200);
    const innerFirst = await settle(
      c.withScope(
        (s) => s.withScope((inner) => void inner.spawn((signal) => wait(10_000, signal)), { timeoutMs: 30 }),
        {
          timeoutMs: 5000,
        },
      ),
    );
    expect(((innerFirst as { error: TimeoutError }).error as TimeoutError).timeoutMs).to.equal(30);
  });

  it("currentScope() is the running scope: task, factory (the instance's own scope), withScope body; else undefined", async () => {
    expect(currentScope()).to.equal(undefined);
    let inFactory: Scope | undefined;
    let ownScope: Scope | undefined;
    c.register("S", {
      useFactory: async (ctx) => {
        await delay(1);
        inFactory = currentScope();
        ownScope = ctx.scope;
        return {};
      },
    });
    await c.withScope(async (s) => {
      expect(currentScope()).to.equal(s);
      await s.resolve("S");
      expect(currentScope()).to.equal(s);
      const inner = s.createScope("inner");
      const seen = await inner.spawn(async () => {
        await delay(1);
        return currentScope();
      });
      expect(seen).to.equal(inner);
      await inner.close();
    });
    expect(inFactory).to.equal(ownScope);
    expect(inFactory!.name).to.equal("S");
    expect(currentScope()).to.equal(undefined);
  });

  it("timeoutMs can be changed while running and counts from creation", async () => {
    const q = c.createScope();
    q.spawn((signal) => wait(10_000, signal));
    await delay(50);
    const t0 = performance.now();
    q.timeoutMs = 80;
    expect(((await settle(q.done)) as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(since(t0)).to.be.within(20, 150);
  });
});
