// Nothing retains what is over: a scope that ended, by closing or by failing, is garbage once nobody refers
// to it (the soak script checks the same over a million scopes).
import { expect } from "chai";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Container, Lifetime, type Scope } from "asyncscope";
import { delay, nextTurn } from "../support/helpers.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Whether what `make` returns (and only it refers to) can be collected. */
async function collectable(make: () => Promise<object>): Promise<boolean> {
  const ref = new WeakRef(await make());
  for (let i = 0; i < 3 && ref.deref() !== undefined; i++) {
    await nextTurn();
    gc();
  }
  return ref.deref() === undefined;
}

describe("leaks", () => {
  it("a request scope that failed by itself is not kept by its parent once its outcome was taken", async () => {
    const c = new Container({ logger: { warn: () => undefined, error: () => undefined } });
    c.register(
      "volatile",
      {
        useFactory: (ctx) => {
          ctx.scope.spawn(async () => {
            await nextTurn();
            throw new Error("crashed");
          });
          return {};
        },
      },
      { lifetime: Lifetime.Scoped },
    );
    const failedByItself = async (): Promise<Scope> => {
      const q = c.createScope("request");
      await q.resolve("volatile");
      // It crashes and closes by itself, unobserved; its outcome is taken afterwards.
      await delay(5);
      expect(q.state).to.equal("closed");
      await q.close().catch(() => undefined);
      return q;
    };
    expect(await collectable(failedByItself), "a crashed request").to.equal(true);
    const taskFailed = async (): Promise<Scope> => {
      const q = c.createScope("request");
      q.spawn(async () => {
        throw new Error("task failed");
      });
      await delay(5);
      expect(q.state).to.equal("closed");
      await q.done.catch(() => undefined);
      return q;
    };
    expect(await collectable(taskFailed), "a request whose task failed").to.equal(true);
    const closed = async (): Promise<Scope> => {
      const q = c.createScope("request");
      await q.close();
      return q;
    };
    expect(await collectable(closed), "a request closed normally").to.equal(true);
    await c.close();
  });
});
