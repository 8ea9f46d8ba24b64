// CASES.md section E (task groups per scope: traio flags, timeouts, forks), one test per case.
import { expect } from "chai";
import {
  CancelledError,
  Container,
  currentScope,
  ScopeClosedError,
  ScopeDiedError,
  TimeoutError,
  type Scope,
} from "asyncscope";
import { defineService, delay, recordingLogger, since, settle, wait, type Log } from "../support/helpers.js";

describe("CASES E: task groups per scope", () => {
  let log: Log;
  let c: Container;
  let logger: ReturnType<typeof recordingLogger>;
  beforeEach(() => {
    log = [];
    logger = recordingLogger();
    c = new Container({ logger });
  });
  afterEach(() => c.close());

  const runScope = <R>(body: (s: Scope) => Promise<R> | R, timeoutMs?: number): Promise<R> =>
    c.withScope(body, timeoutMs === undefined ? {} : { timeoutMs });

  it("case 23: a ready service crashes at runtime: dependents torn down; its users see ScopeDied", async () => {
    const E = new Error("E");
    defineService(c, log, "S", {
      onCreate: (ctx) => {
        ctx.scope.spawn(async (signal) => {
          await wait(100, signal);
          throw E;
        });
      },
    });
    defineService(c, log, "A", { dependsOn: ["S"] });
    const t0 = performance.now();
    const r = await settle(
      runScope(async (q) => {
        await q.resolve("A");
        log.length = 0;
        q.spawn(async (signal) => {
          try {
            await wait(1000, signal);
          } finally {
            log.push("t:cancelled");
          }
        });
        await wait(2000, q.signal);
      }),
    );
    expect(since(t0)).to.be.within(90, 300);
    expect(log).to.deep.equal(["t:cancelled", "A:dispose", "S:dispose"]);
    const err = (r as { error: unknown }).error;
    expect(err).to.be.instanceOf(ScopeDiedError);
    expect((err as ScopeDiedError).service).to.equal("S");
    expect((err as ScopeDiedError).cause).to.equal(E);
    expect((err as ScopeDiedError).code).to.equal("ERR_SCOPE_DIED");
  });

  it("case 23 (variant): a body that catches the cancellation and throws B reports B only", async () => {
    const E = new Error("E");
    const B = new Error("B");
    defineService(c, log, "S", {
      onCreate: (ctx) => {
        ctx.scope.spawn(async (signal) => {
          await wait(50, signal);
          throw E;
        });
      },
    });
    const r = await settle(
      runScope(async (q) => {
        await q.resolve("S");
        try {
          await wait(2000, q.signal);
        } catch {
          throw B;
        }
      }),
    );
    expect((r as { error: unknown }).error).to.equal(B);
  });

  it("case 40: default spawn: an error bubbles, cancels siblings and the body, and surfaces", async () => {
    const E = new Error("E");
    const t0 = performance.now();
    const r = await settle(
      runScope(async (s) => {
        s.spawn(async () => {
          await delay(100);
          throw E;
        });
        s.spawn(async (signal) => {
          signal.addEventListener("abort", () => log.push(`t2:cancelled@${Math.round(since(t0) / 50) * 50}`));
          await wait(5000, signal);
        });
        await wait(300, s.signal);
        log.push("body:after");
      }),
    );
    expect(since(t0)).to.be.within(90, 250);
    expect(log).to.deep.equal(["t2:cancelled@100"]);
    expect((r as { error: unknown }).error).to.equal(E);
  });

  it("case 41: a body error cancels tasks and surfaces", async () => {
    const B = new Error("B");
    let t1Threw = false;
    let t1Aborted = -1;
    const t0 = performance.now();
    const r = await settle(
      runScope(async (s) => {
        s.spawn(async (signal) => {
          signal.addEventListener("abort", () => (t1Aborted = since(t0)));
          await wait(300, signal);
          t1Threw = true;
          throw new Error("t1");
        });
        await delay(100);
        throw B;
      }),
    );
    expect((r as { error: unknown }).error).to.equal(B);
    expect(t1Aborted).to.be.within(90, 250);
    expect(t1Threw).to.equal(false);
  });

  for (const awaited of [true, false]) {
    it(`case 42: bubble: false errors are ignored (awaited: ${awaited})`, async () => {
      const t0 = performance.now();
      const r = await settle(
        runScope(async (s) => {
          s.spawn((signal) => wait(10_000, signal));
          s.spawn(
            async () => {
              await delay(10);
              throw new Error("bad");
            },
            { bubble: false, awaited },
          );
        }, 500),
      );
      expect(since(t0)).to.be.within(450, 700);
      expect((r as { error: unknown }).error).to.be.instanceOf(TimeoutError);
      expect(logger.entries.filter((e) => e.level === "error")).to.have.length(1);
    });
  }

  for (const bubble of [true, false]) {
    for (const awaited of [true, false]) {
      it(`case 43: a master finishing normally closes the scope early and cleanly (bubble ${bubble}, awaited ${awaited})`, async () => {
        let aborted = false;
        const t0 = performance.now();
        await runScope(async (s) => {
          s.spawn(async (signal) => {
            signal.addEventListener("abort", () => (aborted = true));
            await wait(10_000, signal);
          });
          s.spawn(() => delay(10), { master: true, bubble, awaited });
        });
        expect(since(t0)).to.be.lessThan(300);
        expect(aborted).to.equal(true);
      });
    }
  }

  it("case 44: a master that throws, with bubble: true, propagates its error", async () => {
    const E = new Error("E");
    let aborted = false;
    const r = await settle(
      runScope(async (s) => {
        s.spawn(async (signal) => {
          signal.addEventListener("abort", () => (aborted = true));
          await wait(10_000, signal);
        });
        s.spawn(
          async () => {
            await delay(10);
            throw E;
          },
          { master: true },
        );
      }),
    );
    expect((r as { error: unknown }).error).to.equal(E);
    expect(aborted).to.equal(true);
  });

  it("case 46: cancelling a master task's handle closes the scope", async () => {
    const t0 = performance.now();
    let handle: PromiseLike<unknown> | undefined;
    await runScope(async (s) => {
      s.spawn((signal) => wait(10_000, signal));
      const m = s.spawn((signal) => wait(10_000, signal), { master: true });
      handle = m;
      setTimeout(() => m.cancel(), 50);
    }, 500);
    expect(since(t0)).to.be.within(40, 300);
    const r = await settle(Promise.resolve(handle!));
    expect((r as { error: Error }).error).to.be.instanceOf(CancelledError);
  });

  it("case 47: awaited: false on its own: the scope ends immediately and the task is cancelled", async () => {
    let observed = false;
    const t0 = performance.now();
    await runScope((s) => {
      s.spawn(
        async (signal) => {
          signal.addEventListener("abort", () => (observed = true));
          for (;;) await wait(50, signal);
        },
        { awaited: false },
      );
    });
    expect(since(t0)).to.be.lessThan(150);
    expect(observed).to.equal(true);
  });

  it("case 50: awaiting a handle yields its value; the scope stays open", async () => {
    const t0 = performance.now();
    await runScope(async (s) => {
      const h = s.spawn(async (signal) => {
        await wait(200, signal);
        return 3;
      });
      expect(await h).to.equal(3);
      expect(since(t0)).to.be.within(190, 330);
      expect(s.state).to.equal("open");
      s.spawn((signal) => wait(200, signal));
    });
    expect(since(t0)).to.be.within(390, 550);
  });

  it("case 51: scope timeout", async () => {
    let abortedAt = -1;
    const t0 = performance.now();
    const r = await settle(
      runScope(async (s) => {
        s.spawn(async (signal) => {
          signal.addEventListener("abort", () => (abortedAt = since(t0)));
          await wait(10_000, signal);
        });
      }, 100),
    );
    const rejectedAt = since(t0);
    expect((r as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(((r as { error: Error }).error as Error).name).to.equal("TimeoutError");
    expect(rejectedAt).to.be.within(90, 250);
    expect(abortedAt).to.be.within(90, 250).and.at.most(rejectedAt);
  });

  it("case 52: a timeout can be reset while running", async () => {
    const t0 = performance.now();
    const r = await settle(
      runScope(async (s) => {
        s.timeoutMs = 100;
        s.spawn((signal) => wait(10_000, signal));
      }, 5000),
    );
    expect((r as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(since(t0)).to.be.within(90, 250);
  });

  it("case 53: the timeout clock starts when the group is created", async () => {
    const g = c.createScope();
    g.timeoutMs = 200;
    await delay(300);
    expect(g.state).to.equal("closed");
    expect(() => g.spawn(() => undefined)).to.throw(ScopeClosedError);
    const r = await settle(g.done);
    expect((r as { error: unknown }).error).to.be.instanceOf(TimeoutError);
  });

  it("case 54: a task that ignores cancellation: the group waits cancelTimeout, then gives up", async () => {
    const t0 = performance.now();
    const r = await settle(
      runScope(async (s) => {
        s.spawn(() => new Promise<void>(() => undefined), { cancelTimeoutMs: 300, name: "nasty" });
      }, 100),
    );
    expect((r as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(since(t0)).to.be.within(390, 550);
    const warns = logger.entries.filter((e) => e.level === "warn");
    expect(warns).to.have.length(1);
    expect(warns[0]!.msg).to.match(/nasty.*could not cancel/);
  });

  it("case 57: cancelling from inside a task through the current scope exits cleanly", async () => {
    let interrupted = false;
    const t0 = performance.now();
    await runScope(async (s) => {
      s.spawn(async () => {
        await delay(200);
        currentScope()!.cancel();
      });
      try {
        await wait(1000, s.signal);
      } catch (err) {
        interrupted = true;
        throw err;
      }
    });
    expect(since(t0)).to.be.within(190, 350);
    expect(interrupted).to.equal(true);
  });

  it("case 58: spawning on a done or dying scope throws, and the function never runs", async () => {
    const s = c.createScope("dying");
    s.cancel();
    let ran = false;
    expect(() => s.spawn(() => void (ran = true))).to.throw(ScopeClosedError, /dying/);
    await s.done;
    await delay(1);
    expect(ran).to.equal(false);
  });

  it("case 59: spawning a non-task throws TypeError", async () => {
    const s = c.createScope();
    for (const bad of [null, 1, "hello", {}]) {
      expect(() => s.spawn(bad as never)).to.throw(TypeError);
    }
    await s.close();
  });

  it("case 62: a forked child's timeout propagates through the parent body (setup A: in the body)", async () => {
    let parentTaskAborted = false;
    const t0 = performance.now();
    const r = await settle(
      runScope(async (parent) => {
        parent.spawn(async (signal) => {
          signal.addEventListener("abort", () => (parentTaskAborted = true));
          await wait(10_000, signal);
        });
        const f = parent.fork({ timeoutMs: 100 });
        f.spawn((signal) => wait(10_000, signal));
        f.finalize();
        await f.done;
      }),
    );
    expect((r as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(since(t0)).to.be.lessThan(200);
    expect(parentTaskAborted).to.equal(true);
  });

  it("case 62: a forked child's timeout propagates through the parent body (setup B: in a task)", async () => {
    let parentTaskAborted = false;
    const t0 = performance.now();
    const r = await settle(
      runScope(async (parent) => {
        parent.spawn(async (signal) => {
          signal.addEventListener("abort", () => (parentTaskAborted = true));
          await wait(10_000, signal);
        });
        parent.spawn(async () => {
          const f = parent.fork({ timeoutMs: 100 });
          f.spawn((signal) => wait(10_000, signal));
          f.finalize();
          await f.done;
        });
      }),
    );
    expect((r as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(since(t0)).to.be.lessThan(200);
    expect(parentTaskAborted).to.equal(true);
  });

  it("case 63: an outer timeout interrupts an unrelated inner scope", async () => {
    const t0 = performance.now();
    const r = await settle(
      runScope(() => runScope(async (inner) => void inner.spawn((signal) => wait(10_000, signal)), 500), 200),
    );
    expect((r as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(since(t0)).to.be.within(190, 350);
  });

  it("case 65: a manual group that is never finalized does not complete when its tasks end", async () => {
    const g1 = c.createScope();
    g1.timeoutMs = 500;
    g1.spawn(() => delay(200));
    const t0 = performance.now();
    const r1 = await settle(g1.done);
    expect((r1 as { error: unknown }).error).to.be.instanceOf(TimeoutError);
    expect(since(t0)).to.be.within(490, 650);

    const g2 = c.createScope();
    g2.timeoutMs = 500;
    g2.spawn(() => delay(200));
    const t1 = performance.now();
    g2.finalize();
    await g2.done;
    expect(since(t1)).to.be.within(190, 330);
  });

  it("case 67: a request scope cancels its tasks before disposing its services", async () => {
    defineService(c, log, "S");
    const Q = c.createScope();
    const s = await Q.resolve("S");
    Q.spawn(
      async (signal) => {
        try {
          await wait(10_000, signal);
        } catch {
          await delay(50);
          log.push(`t:cancelled:${s ? "with S" : "?"}`);
        }
      },
      { awaited: false },
    );
    const t0 = performance.now();
    await Q.close();
    expect(log).to.deep.equal(["S:create", "t:cancelled:with S", "S:dispose"]);
    expect(since(t0)).to.be.within(45, 200);
  });

  it("case 68: service-owned tasks are cancelled when the service is disposed, after its disposer", async () => {
    defineService(c, log, "S", {
      onCreate: (ctx) => {
        ctx.scope.spawn(async (signal) => {
          try {
            await wait(10_000, signal);
          } finally {
            await delay(20);
            log.push("S.task:cancelled");
          }
        });
      },
    });
    const Q = c.createScope();
    await Q.resolve("S");
    await Q.close();
    log.push("closed");
    expect(log).to.deep.equal(["S:create", "S:dispose", "S.task:cancelled", "closed"]);
  });
});
