// Issue 12, two decisions (README, "Tasks and cancellation"): cancel(reason) while a scope closes counts
// like a timeout firing then (the close rejects with the reason); after it closed it changes nothing. And
// currentScope() in a callback that runs after its scope closed is still that scope, closed.
import { expect } from "chai";
import { currentScope, ScopeClosedError, type Scope } from "asyncscope";
import { delay, loggedContainer, settle } from "../../support/helpers.js";

const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

describe("hardening: cancel(reason) during close, and currentScope() after close", () => {
  it("cancel(reason) while close() waits for an awaited task cancels it, and close() rejects with the reason", async () => {
    const { c, logger } = loggedContainer();
    const log: string[] = [];
    const s = c.createScope();
    s.spawn(async (signal) => {
      await aborted(signal);
      log.push("task cancelled");
    });
    await delay(1);
    const closing = settle(s.close());
    expect(s.state).to.equal("closing");
    const reason = new Error("stop now");
    s.cancel(reason);
    expect(await closing).to.deep.equal({ ok: false, error: reason });
    expect(await settle(s.done)).to.deep.equal({ ok: false, error: reason });
    expect(log).to.deep.equal(["task cancelled"]);
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });

  it("cancel(reason) while the close disposes makes it reject with the reason too; the disposal still runs", async () => {
    const { c, logger } = loggedContainer();
    const log: string[] = [];
    c.register("slow", {
      useFactory: () => ({
        [Symbol.asyncDispose]: async () => {
          await delay(20);
          log.push("disposed");
        },
      }),
    });
    const s = c.createScope();
    await s.resolve("slow");
    const closing = settle(s.close());
    await delay(5);
    expect(s.state).to.equal("closing");
    const reason = new Error("late");
    s.cancel(reason);
    expect(await closing).to.deep.equal({ ok: false, error: reason });
    expect(log).to.deep.equal(["disposed"]);
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });

  it("cancel() without a reason during a close leaves it clean; cancel(reason) after it closed changes nothing", async () => {
    const { c, logger } = loggedContainer();
    const s = c.createScope();
    s.spawn((signal) => aborted(signal));
    await delay(1);
    const closing = settle(s.close());
    s.cancel();
    expect(await closing).to.deep.equal({ ok: true, value: undefined });
    s.cancel(new Error("too late"));
    expect(await settle(s.close())).to.deep.equal({ ok: true, value: undefined });
    expect(await settle(s.done)).to.deep.equal({ ok: true, value: undefined });
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });

  it("currentScope() in a timer or a .then that runs after its scope closed is that scope, closed; its calls throw ScopeClosedError", async () => {
    const { c, logger } = loggedContainer();
    let fromTimer!: Promise<Scope | undefined>;
    let fromThen!: Promise<Scope | undefined>;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let body: Scope | undefined;
    await c.withScope(async (s) => {
      body = s;
      s.spawn(async () => {
        fromTimer = new Promise((resolve) => setTimeout(() => resolve(currentScope()), 10));
        fromThen = gate.then(() => currentScope());
      });
    });
    release();
    for (const seen of [await fromTimer, await fromThen]) {
      expect(seen, "the task's own scope, not undefined, not its parent").to.equal(body);
      expect(seen!.state).to.equal("closed");
      expect(() => seen!.spawn(async () => undefined)).to.throw(ScopeClosedError);
      expect(() => seen!.createScope()).to.throw(ScopeClosedError);
      const resolved = await settle(seen!.resolve("anything"));
      expect(resolved.ok).to.equal(false);
      expect((resolved as { error: unknown }).error).to.be.instanceOf(ScopeClosedError);
    }
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });
});
