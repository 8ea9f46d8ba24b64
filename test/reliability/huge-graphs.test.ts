// Huge graphs: deep chains must not overflow the stack and wide fan-outs must stay linear, for resolve
// and for dispose; afterwards the container is consistent, usable and empty.
import { expect } from "chai";
import { Container } from "asyncscope";
import { recordingLogger } from "../support/helpers.js";

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
});
