// Misuse of state machines and deferred calls: a transition to a state the current one does not name, a
// deferred call to a method that does not exist. Each gets a typed error with its code, and the object
// stays usable afterwards.
import { expect } from "chai";
import {
  asStateMachine,
  ConfigurationError,
  DeferredCallHandler,
  state,
  StateValidationError,
} from "asyncscope";
import { recordingLogger, settle } from "../support/helpers.js";

describe("misuse of state machines and deferred calls", () => {
  describe("@state", () => {
    class Door {
      readonly log: string[] = [];
      // A typo: the state it hands over to is "closed".
      @state({ transitionsTo: "closd" })
      open(): void {
        this.log.push("open");
        this.closed();
      }
      @state({ transitionsTo: "open" })
      closed(): void {
        this.log.push("closed");
      }
      @state({ transitionsTo: "closed" })
      ajar(): void {
        this.log.push("ajar");
        this.closed();
      }
    }

    it("a transition to a state the current one does not name fails the machine with StateValidationError", async () => {
      const door = new Door();
      const machine = asStateMachine(door.open());
      const failed = await settle(machine.join());
      const error = (failed as { error: unknown }).error as StateValidationError;
      expect(error).to.be.instanceOf(StateValidationError);
      expect(error.code).to.equal("ERR_TRANSITION");
      expect(error.message).to.equal("Invalid state transition open -> closed");
      expect([machine.successful, machine.error]).to.deep.equal([false, error]);
      expect(machine.transitions).to.deep.equal([[null, "open"]]);
      expect(door.log, "the unnamed state never ran").to.deep.equal(["open"]);
      // The object is usable afterwards: a new machine runs a valid transition.
      const next = asStateMachine(door.ajar());
      await next.join();
      expect(next.transitions).to.deep.equal([
        [null, "ajar"],
        ["ajar", "closed"],
      ]);
      expect(door.log).to.deep.equal(["open", "ajar", "closed"]);
    });

    it("transitionsTo that is not a state name, and @state on what is not a method, are ConfigurationError", () => {
      for (const bad of [42, [1], {}, [null]]) {
        const err = (() => {
          try {
            state({ transitionsTo: bad as never });
          } catch (e) {
            return e;
          }
        })();
        expect(err, String(bad)).to.be.instanceOf(ConfigurationError);
        expect((err as ConfigurationError).code).to.equal("ERR_CONFIG");
      }
      class Host {
        field = 1;
        get accessor(): number {
          return 1;
        }
      }
      const decorate = state() as unknown as (...args: unknown[]) => unknown;
      expect(() => decorate(Host.prototype, "field", undefined)).to.throw(ConfigurationError);
      expect(() =>
        decorate(Host.prototype, "accessor", Object.getOwnPropertyDescriptor(Host.prototype, "accessor")),
      ).to.throw(ConfigurationError);
      expect(() => decorate(Host)).to.throw(ConfigurationError);
    });
  });

  describe("DeferredCallHandler", () => {
    class Counter extends DeferredCallHandler {
      count = 0;
      increment(): number {
        return ++this.count;
      }
    }

    it("a sync call to a missing method rejects with ConfigurationError when processed; the queue goes on", async () => {
      const logger = recordingLogger();
      const counter = new Counter({ logger });
      const calls = counter.sync as unknown as Record<string, () => Promise<unknown>>;
      const missing = settle(calls.missing!());
      const reserved = settle(calls.process!());
      const next = counter.sync.increment();
      await counter.process();
      for (const [name, got] of [
        ["missing", await missing],
        ["process", await reserved],
      ] as const) {
        const error = (got as { error: unknown }).error as ConfigurationError;
        expect(error, name).to.be.instanceOf(ConfigurationError);
        expect(error.code).to.equal("ERR_CONFIG");
        expect(error.message).to.equal(`Counter has no method "${name}" that can be deferred.`);
      }
      expect(await next).to.equal(1);
      expect(logger.entries).to.deep.equal([]);
    });

    it("a one-way call to a missing method is logged with its name; the queue goes on", async () => {
      const logger = recordingLogger();
      const counter = new Counter({ logger });
      (counter.oneway as unknown as Record<string, () => void>).missing!();
      counter.oneway.increment();
      await counter.process();
      expect(counter.count).to.equal(1);
      expect(logger.entries.map((e) => [e.level, e.msg])).to.deep.equal([
        [
          "error",
          'One-way call Counter.missing() failed: ConfigurationError: Counter has no method "missing" that can be deferred.',
        ],
      ]);
      expect(logger.entries[0]!.rest[0]).to.be.instanceOf(ConfigurationError);
    });

    it("bad options are ConfigurationError, before anything is queued", async () => {
      const counter = new Counter({ logger: recordingLogger() });
      for (const bad of [-1, "10", NaN]) {
        expect(() => counter.sync({ timeoutMs: bad as never }), String(bad)).to.throw(ConfigurationError);
      }
      const badList = await settle(counter.process({ whitelist: "increment" as never }));
      expect((badList as { error: unknown }).error).to.be.instanceOf(ConfigurationError);
      const running = counter.process({ forever: true });
      const second = await settle(counter.process());
      expect((second as { error: Error }).error).to.be.instanceOf(ConfigurationError);
      expect((second as { error: Error }).error.message).to.contain("already running");
      expect(await counter.sync.increment()).to.equal(1);
      counter.stopProcessing();
      await running;
    });
  });
});
