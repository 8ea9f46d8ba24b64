// Huge graphs: deep chains must not overflow the stack and wide fan-outs must stay linear, for resolve
// and for dispose; afterwards the container is consistent, usable and empty.
import { expect } from "chai";
import { CancelledError, Container } from "asyncscope";
import { recordingLogger, settle, wait } from "../support/helpers.js";

const WIDE = 100_000;

describe("huge graphs", function () {
  this.timeout(60_000);

  it("one service depending on 100,000 async services in one parallel group resolves and disposes", async () => {
    const logger = recordingLogger();
    const c = new Container({ logger });
    const names: string[] = [];
    let disposed = 0;
    for (let i = 0; i < WIDE; i++) {
      names.push(`leaf${i}`);
      c.register(`leaf${i}`, { useFactory: async () => ({ dispose: () => void disposed++ }) });
    }
    c.register("fan", { useFactory: (ctx) => ({ width: ctx.deps.length }) }, { dependsOn: [names] });
    const q = c.createScope("fan");
    const t0 = performance.now();
    expect(await q.resolve("fan")).to.deep.equal({ width: WIDE });
    // Linear work takes about a second here; the quadratic bookkeeping this guards against took 40 s.
    expect(performance.now() - t0).to.be.lessThan(15_000);
    expect(c.inspect().instances).to.have.length(WIDE + 1);
    await q.close();
    expect(disposed).to.equal(WIDE);
    expect(c.inspect().instances).to.deep.equal([]);
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });

  it("100,000 scopes waiting for one starting service all give up: the creation is aborted, nothing leaks", async () => {
    const logger = recordingLogger();
    const c = new Container({ logger });
    let aborted = 0;
    c.register("slow", {
      useFactory: async (ctx) => {
        try {
          await wait(60_000, ctx.signal);
        } catch (err) {
          aborted++;
          throw err;
        }
        return {};
      },
    });
    const scopes = Array.from({ length: WIDE }, (_, i) => c.createScope(`w${i}`));
    const waits = scopes.map((q) => settle(q.resolve("slow")));
    const t0 = performance.now();
    await Promise.all(scopes.map((q) => q.close()));
    const results = await Promise.all(waits);
    // Linear work takes about a second here; the quadratic bookkeeping this guards against took 20 s.
    expect(performance.now() - t0).to.be.lessThan(15_000);
    expect(results.every((r) => !r.ok && r.error instanceof CancelledError)).to.equal(true);
    await wait(1);
    expect(aborted).to.equal(1);
    expect(c.inspect()).to.deep.equal({
      scopes: [{ id: c.inspect().scopes[0]!.id, name: "container", state: "open" }],
      instances: [],
    });
    expect(logger.entries).to.deep.equal([]);
    await c.close();
  });
});
