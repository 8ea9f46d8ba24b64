// Interleavings: the same scenarios with their await points reordered by a seeded scheduler.
import { expect } from "chai";
import { CancelledError, Container } from "asyncscope";
import { delay, recordingLogger, settle } from "../support/helpers.js";

describe("interleavings", () => {
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
