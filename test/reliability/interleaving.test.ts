// Interleavings: the same scenarios with their await points reordered by a seeded scheduler.
import { expect } from "chai";
import { CancelledError, Container } from "asyncscope";
import { delay, recordingLogger, settle } from "../support/helpers.js";

describe("interleavings", () => {
  it("a resolve waiting for a release is given up with its scope, and takes no reference afterwards", async () => {
    const logger = recordingLogger();
    const c = new Container({ logger });
    const log: string[] = [];
    let n = 0;
    c.register("S", {
      useFactory: () => {
        const id = ++n;
        log.push(`S${id}:create`);
        return {
          [Symbol.asyncDispose]: async () => {
            await delay(20);
            log.push(`S${id}:dispose`);
          },
        };
      },
    });
    const [q1, q2] = [c.createScope("q1"), c.createScope("q2")];
    await q1.resolve("S");
    const released = q1.release("S");
    // S is releasing: this resolve waits for the release to finish, then would get a fresh S.
    const waiting = settle(q2.resolve("S"));
    await q2.close();
    expect(((await waiting) as { error: unknown }).error).to.be.instanceOf(CancelledError);
    await released;
    await delay(5);
    expect(log).to.deep.equal(["S1:create", "S1:dispose"]);
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
    expect(logger.entries).to.deep.equal([]);
  });

  describe("a close racing a starting factory", () => {
    it("a useService every requester left before it registered is told noMoreDependents and cleans up", async () => {
      const logger = recordingLogger();
      const c = new Container({ logger });
      const log: string[] = [];
      c.register("svc", {
        useService: async (svc) => {
          await delay(10);
          svc.register({});
          log.push("registered");
          await svc.noMoreDependents();
          log.push("cleaned up");
        },
      });
      const q = c.createScope();
      const resolved = settle(q.resolve("svc"));
      await q.close();
      expect(((await resolved) as { error: unknown }).error).to.be.instanceOf(CancelledError);
      await delay(30);
      expect(log).to.deep.equal(["registered", "cleaned up"]);
      expect(c.inspect().instances).to.deep.equal([]);
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });
  });
});
