// Injected faults reach exactly one receiver: the caller whose operation triggered them (resolve, release,
// close), or the container's logger when nobody can receive them (SEMANTICS 4.5, 9.6).
import { expect } from "chai";
import { Container, DisposeTimeoutError, ScopeDiedError } from "asyncscope";
import { delay, recordingLogger, settle } from "../support/helpers.js";

describe("error delivery", () => {
  it("a useService whose cleanup throws rejects release() and close() with that error, and logs nothing", async () => {
    const logger = recordingLogger();
    const c = new Container({ logger });
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
    const logger = recordingLogger();
    const c = new Container({ logger });
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
    const logger = recordingLogger();
    const c = new Container({ logger });
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
});
