// Hardening, class 13: a list of options is a set. runMain's `signals` is deduplicated (one signal, one
// listener, one shutdown) and validated: a name that is not a signal this process can listen to is a
// ConfigurationError, before any listener is added or any scope created.
import { expect } from "chai";
import fc from "fast-check";
import sinon from "sinon";
import { constants } from "node:os";
import { ConfigurationError, runMain } from "asyncscope";
import { fixture, runChild as runFixture, type ChildRun } from "../../support/child.js";
import { propertyOptions, settle } from "../../support/helpers.js";

/** The fixture runs runMain with `signals`; `send` goes to it once it prints "ready". */
const runChild = (signals: string[], send: NodeJS.Signals): Promise<ChildRun> =>
  runFixture(fixture("run-main-signals"), [JSON.stringify(signals)], (line, child) => {
    if (line === "ready") child.kill(send);
  });

// Signals a test may emit in this process (process.emit only calls the JavaScript listeners): not SIGINT,
// which the test runner listens to.
const EMITTABLE = ["SIGUSR2", "SIGHUP", "SIGWINCH", "SIGTERM", "SIGCONT"] as const satisfies NodeJS.Signals[];
const EXIT_CODES: Record<string, number> = { SIGHUP: 129, SIGTERM: 143 };

describe("hardening: runMain's signal list is a set", () => {
  it('runMain({ signals: ["SIGINT", "SIGINT"] }): one Ctrl-C is one shutdown; main cleans up, runMain resolves', async () => {
    const run = await runChild(["SIGINT", "SIGINT"], "SIGINT");
    expect(run.lines).to.deep.equal([
      "ready",
      "main:cancelled",
      "main:cleanup",
      "runMain resolved exitCode=130 listeners=0",
    ]);
    expect(run.code).to.equal(130);
  });

  describe("in this process", () => {
    let exit: sinon.SinonStub;
    beforeEach(() => {
      exit = sinon.stub(process, "exit");
    });
    afterEach(() => {
      exit.restore();
      process.exitCode = undefined;
    });

    it("property: any list of signals, duplicates included, adds one listener per signal and shuts down once", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom(...EMITTABLE), { minLength: 1, maxLength: 8 }),
          fc.nat(),
          async (signals, pick) => {
            exit.resetHistory();
            const before = new Map(EMITTABLE.map((s) => [s, process.listenerCount(s)]));
            const sent = signals[pick % signals.length]!;
            const seen: string[] = [];
            const counts: Record<string, number> = {};
            const done = runMain(
              async (scope) => {
                for (const s of EMITTABLE) counts[s] = process.listenerCount(s) - before.get(s)!;
                process.emit(sent, sent); // as Node does: the listener gets the signal name
                await new Promise((resolve) => setImmediate(resolve));
                seen.push(`aborted=${scope.signal.aborted}`);
              },
              { signals },
            );
            await done;
            expect(counts).to.deep.equal(
              Object.fromEntries(EMITTABLE.map((s) => [s, signals.includes(s) ? 1 : 0])),
            );
            expect(seen).to.deep.equal(["aborted=true"]);
            expect(exit.called, "a single signal never exits the process").to.equal(false);
            expect(process.exitCode).to.equal(EXIT_CODES[sent] ?? 1);
            for (const s of EMITTABLE) expect(process.listenerCount(s), s).to.equal(before.get(s));
            process.exitCode = undefined;
          },
        ),
        propertyOptions(30),
      );
    });

    it("property: a list with a name that is not a signal, or one that cannot be listened to, is a ConfigurationError; nothing is added", async () => {
      const known = new Set(Object.keys(constants.signals));
      const bad = fc.oneof(
        fc.string().filter((s) => !known.has(s)),
        fc.constantFrom(
          "SIGKILL",
          "SIGSTOP",
          "sigint",
          "INT",
          " SIGINT",
          "SIGINT\n",
          "__proto__",
          "constructor",
        ),
        fc.anything().filter((v) => typeof v !== "string"),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom(...EMITTABLE), { maxLength: 3 }),
          bad,
          fc.array(fc.constantFrom(...EMITTABLE), { maxLength: 3 }),
          async (head, junk, tail) => {
            const before = new Map(EMITTABLE.map((s) => [s, process.listenerCount(s)]));
            let ran = false;
            const got = await settle(
              runMain(async () => void (ran = true), {
                signals: [...head, junk, ...tail] as NodeJS.Signals[],
              }),
            );
            const error = (got as { error: ConfigurationError }).error;
            expect(error).to.be.instanceOf(ConfigurationError);
            expect(error.code).to.equal("ERR_CONFIG");
            expect(ran).to.equal(false);
            for (const s of EMITTABLE) expect(process.listenerCount(s), s).to.equal(before.get(s));
          },
        ),
        propertyOptions(100),
      );
    });

    it("signals that is not an array is a ConfigurationError", async () => {
      for (const bad of ["SIGINT", 2, {}, null]) {
        const got = await settle(runMain(async () => {}, { signals: bad as never }));
        expect((got as { error: unknown }).error, String(bad)).to.be.instanceOf(ConfigurationError);
      }
    });
  });
});
