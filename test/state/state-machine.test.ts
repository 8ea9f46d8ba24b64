import { expect } from "chai";
import sinon from "sinon";
import {
  asStateMachine,
  CancelledError,
  ConfigurationError,
  state,
  StateValidationError,
  type StateInfo,
  type StateMachine,
} from "asyncscope";
import { delay, nextTurn } from "../support/helpers.js";

/** Run a state method from outside and return its machine handle. */
const start = (value: unknown): StateMachine => asStateMachine(value);

describe("state machines (@state)", () => {
  let unhandled: sinon.SinonSpy;
  let warn: sinon.SinonStub;
  beforeEach(() => {
    unhandled = sinon.spy();
    process.on("unhandledRejection", unhandled);
    warn = sinon.stub(console, "warn");
  });
  afterEach(async () => {
    warn.restore();
    await nextTurn();
    process.off("unhandledRejection", unhandled);
    expect(unhandled.called, "an unhandled rejection happened").to.equal(false);
  });

  it("case 89: the initial state runs asynchronously", async () => {
    class Plant {
      initialReached = false;
      @state()
      initial(): void {
        this.initialReached = true;
      }
    }
    const plant = new Plant();
    const m = start(plant.initial());
    expect(m.transitions).to.deep.equal([[null, "initial"]]);
    expect(m.current).to.equal("initial");
    expect(plant.initialReached).to.equal(false);
    await nextTurn();
    expect(plant.initialReached).to.equal(true);
    expect(m.ready).to.equal(true);
  });

  it("case 90: chained transitions are recorded in order; the machine succeeds", async () => {
    const log: string[] = [];
    class Chain {
      @state({ transitionsTo: "second" })
      initial(): void {
        log.push("initial");
        this.second();
      }
      @state({ transitionsTo: ["third"] })
      async second(): Promise<void> {
        log.push("second");
        this.third();
      }
      @state()
      third(): void {
        log.push("third");
      }
    }
    const m = start(new Chain().initial());
    expect(m.ready).to.equal(false);
    await m.join();
    expect(m.transitions).to.deep.equal([
      [null, "initial"],
      ["initial", "second"],
      ["second", "third"],
    ]);
    expect(log, "each state ran once, in the one machine").to.deep.equal(["initial", "second", "third"]);
    expect(m.ready).to.equal(true);
    expect(m.successful).to.equal(true);
    expect(m.error).to.equal(undefined);
    expect(m.current).to.equal(undefined);
  });

  it("case 92: an invalid transition fails the machine and records nothing more", async () => {
    const log: string[] = [];
    class Chain {
      @state({ transitionsTo: "second" })
      initial(): void {
        this.second();
      }
      @state()
      second(): void {
        this.third();
      }
      @state()
      third(): void {
        log.push("third");
      }
    }
    const m = start(new Chain().initial());
    const error = await m.join().catch((err: unknown) => err);
    expect(m.transitions).to.deep.equal([
      [null, "initial"],
      ["initial", "second"],
    ]);
    expect(m.successful).to.equal(false);
    expect(m.ready).to.equal(true);
    expect(m.error).to.equal(error);
    expect(error).to.be.instanceOf(StateValidationError);
    expect((error as StateValidationError).message).to.equal("Invalid state transition second -> third");
    expect((error as StateValidationError).code).to.equal("ERR_TRANSITION");
    expect(log, "third never ran").to.deep.equal([]);
  });

  it("case 93: a transition is a tail call: code after it never runs", async () => {
    const log: string[] = [];
    class Chain {
      @state({ transitionsTo: "second" })
      initial(): void {
        this.second(5);
        log.push("after");
      }
      @state()
      second(x: number): void {
        log.push(`second x=${x}`);
      }
    }
    await start(new Chain().initial()).join();
    expect(log).to.deep.equal(["second x=5"]);
    expect(warn.called).to.equal(false);
  });

  it("case 94: onStart runs with the state and the arguments, before the body, on every entry", async () => {
    const log: unknown[] = [];
    const onStart = (info: StateInfo, target: object, ...args: unknown[]) =>
      log.push(["onStart", info.name, args, target]);
    class Chain {
      @state({ transitionsTo: "second", onStart })
      initial(): void {
        log.push(["body", "initial"]);
        this.second(5);
      }
      @state({ onStart })
      second(x: number): void {
        log.push(["body", "second", x]);
      }
    }
    const chain = new Chain();
    await start(chain.initial()).join();
    expect(log).to.deep.equal([
      ["onStart", "initial", [], chain],
      ["body", "initial"],
      ["onStart", "second", [5], chain],
      ["body", "second", 5],
    ]);
    expect((log[0] as unknown[])[3]).to.equal(chain);
  });

  it("onStart receives the first state's info, the object and the arguments of the outside call", async () => {
    const calls: { info: StateInfo; target: object; args: unknown[] }[] = [];
    class Job {
      @state({
        transitionsTo: ["done", "failed"],
        onStart: (info, target, ...args) => calls.push({ info, target, args }),
      })
      run(id: number, label: string): void {
        void id;
        void label;
      }
    }
    const job = new Job();
    const m = start(job.run(7, "seven"));
    expect(calls, "onStart runs on the later tick, with the body").to.deep.equal([]);
    await m.join();
    expect(calls).to.have.length(1);
    expect(calls[0]!.info).to.deep.equal({ name: "run", transitionsTo: ["done", "failed"] });
    expect(Object.isFrozen(calls[0]!.info)).to.equal(true);
    expect(calls[0]!.target).to.equal(job);
    expect(calls[0]!.args).to.deep.equal([7, "seven"]);
  });

  it("a terminal state may not transition even to itself; a declared self-transition is allowed", async () => {
    let runs = 0;
    class Loop {
      @state()
      terminal(): void {
        runs++;
        this.terminal();
      }
      @state({ transitionsTo: "retry" })
      retry(attempt: number): void {
        if (attempt < 3) this.retry(attempt + 1);
      }
    }
    const loop = new Loop();
    const m = start(loop.terminal());
    const error = await m.join().catch((err: unknown) => err);
    expect((error as Error).message).to.equal("Invalid state transition terminal -> terminal");
    expect(runs).to.equal(1);
    expect(m.transitions).to.deep.equal([[null, "terminal"]]);

    const retry = start(loop.retry(1));
    await retry.join();
    expect(retry.transitions).to.deep.equal([
      [null, "retry"],
      ["retry", "retry"],
      ["retry", "retry"],
    ]);
  });

  it("a tail call after an await, or from a helper method, is still a tail call (rule 9.8)", async () => {
    const log: string[] = [];
    class Worker {
      @state({ transitionsTo: "middle" })
      async first(): Promise<void> {
        await delay(5);
        await Promise.resolve();
        this.middle();
        log.push("after middle()");
      }
      @state({ transitionsTo: "last" })
      async middle(): Promise<void> {
        await this.helper();
        log.push("after helper()");
      }
      async helper(): Promise<void> {
        await delay(1);
        this.last();
      }
      @state()
      last(): void {
        log.push("last");
      }
    }
    const m = start(new Worker().first());
    await m.join();
    expect(log).to.deep.equal(["last"]);
    expect(m.transitions).to.deep.equal([
      [null, "first"],
      ["first", "middle"],
      ["middle", "last"],
    ]);
  });

  it("join() rejects with the error a state threw, the same object", async () => {
    const boom = new Error("boom");
    class Failing {
      @state({ transitionsTo: "broken" })
      async working(): Promise<void> {
        await delay(1);
        this.broken();
      }
      @state()
      async broken(): Promise<void> {
        throw boom;
      }
    }
    const m = start(new Failing().working());
    expect(await m.join().catch((err: unknown) => err)).to.equal(boom);
    expect(m.join()).to.equal(m.join());
    expect(m.error).to.equal(boom);
    expect(m.successful).to.equal(false);
    expect(m.ready).to.equal(true);
    expect(m.current).to.equal(undefined);
  });

  it("a machine that fails while nobody joins it causes no unhandled rejection", async () => {
    class Failing {
      @state()
      fail(): void {
        throw new Error("nobody listens");
      }
    }
    const m = start(new Failing().fail());
    await nextTurn();
    await nextTurn();
    expect(m.ready).to.equal(true);
    expect((m.error as Error).message).to.equal("nobody listens");
    // afterEach asserts that no unhandled rejection happened.
  });

  it("onStart that throws fails the machine before the body runs", async () => {
    const error = new Error("refused");
    let ran = false;
    class Guarded {
      @state({
        onStart: () => {
          throw error;
        },
      })
      guarded(): void {
        ran = true;
      }
    }
    const m = start(new Guarded().guarded());
    expect(await m.join().catch((err: unknown) => err)).to.equal(error);
    expect(ran).to.equal(false);
  });

  describe("cancel()", () => {
    class Door {
      readonly log: string[] = [];
      gate: Promise<void> = Promise.resolve();
      @state({ transitionsTo: "closed" })
      async open(): Promise<void> {
        this.log.push("open");
        await this.gate;
        this.closed();
        this.log.push("after closed()");
      }
      @state()
      async closed(): Promise<void> {
        this.log.push("closed");
      }
      @state()
      async waiting(fail?: Error): Promise<void> {
        await this.gate;
        if (fail) throw fail;
      }
    }
    function gated(door: Door): () => void {
      let open!: () => void;
      door.gate = new Promise((resolve) => (open = resolve));
      return open;
    }

    it("before the first state runs: no state runs and the machine fails with a CancelledError", async () => {
      const door = new Door();
      const m = start(door.open());
      m.cancel();
      const error = await m.join().catch((err: unknown) => err);
      expect(error).to.be.instanceOf(CancelledError);
      expect((error as CancelledError).message).to.equal("State machine cancelled in state open.");
      expect(door.log).to.deep.equal([]);
      expect(m.transitions).to.deep.equal([[null, "open"]]);
      expect(m.successful).to.equal(false);
    });

    it("while a state awaits: takes effect at its tail call, which throws the given reason", async () => {
      const door = new Door();
      const release = gated(door);
      const m = start(door.open());
      await nextTurn();
      const reason = new Error("shutting down");
      m.cancel(reason);
      m.cancel(new Error("second reason loses"));
      expect(m.ready, "a running state cannot be interrupted").to.equal(false);
      release();
      expect(await m.join().catch((err: unknown) => err)).to.equal(reason);
      expect(m.error).to.equal(reason);
      expect(door.log).to.deep.equal(["open"]);
      expect(m.transitions).to.deep.equal([[null, "open"]]);
    });

    it("while a terminal state awaits: the machine ends cancelled when the state settles", async () => {
      const door = new Door();
      const release = gated(door);
      const m = start(door.waiting());
      await nextTurn();
      m.cancel();
      release();
      expect(await m.join().catch((err: unknown) => err)).to.be.instanceOf(CancelledError);
      expect(m.successful).to.equal(false);
    });

    it("an error the state throws after the cancel goes to the logger; the cancel reason wins", async () => {
      const door = new Door();
      const release = gated(door);
      const m = start(door.waiting(new Error("late failure")));
      await nextTurn();
      m.cancel();
      release();
      expect(await m.join().catch((err: unknown) => err)).to.be.instanceOf(CancelledError);
      expect(warn.args).to.have.length(1);
      expect(warn.args[0]![0]).to.equal("State waiting failed after a cancel: Error: late failure");
    });

    it("does nothing once the machine has ended", async () => {
      const door = new Door();
      const m = start(door.open());
      await m.join();
      m.cancel();
      expect(m.successful).to.equal(true);
      expect(m.error).to.equal(undefined);
    });
  });

  it("each outside call starts an independent machine, even two on one object at once", async () => {
    const log: string[] = [];
    class Counter {
      @state({ transitionsTo: "finish" })
      async begin(id: string, ms: number): Promise<void> {
        log.push(`${id}:begin`);
        await delay(ms);
        this.finish(id);
      }
      @state()
      finish(id: string): void {
        log.push(`${id}:finish`);
      }
    }
    const counter = new Counter();
    const slow = start(counter.begin("slow", 20));
    const fast = start(counter.begin("fast", 1));
    expect(slow).to.not.equal(fast);
    await Promise.all([slow.join(), fast.join()]);
    expect(log).to.deep.equal(["slow:begin", "fast:begin", "fast:finish", "slow:finish"]);
    for (const m of [slow, fast]) {
      expect(m.transitions).to.deep.equal([
        [null, "begin"],
        ["begin", "finish"],
      ]);
    }
  });

  it("a state call on another object, inside a state, starts a new machine and the state goes on", async () => {
    const log: string[] = [];
    let child: StateMachine | undefined;
    class Node {
      constructor(readonly name: string) {}
      @state()
      async run(other?: Node): Promise<void> {
        log.push(`${this.name}:run`);
        if (other) {
          child = start(other.run());
          log.push(`${this.name}:after starting ${other.name}`);
          await child.join();
        }
      }
    }
    const parent = start(new Node("a").run(new Node("b")));
    await parent.join();
    expect(log).to.deep.equal(["a:run", "a:after starting b", "b:run"]);
    expect(parent.transitions).to.deep.equal([[null, "run"]]);
    expect(child!.transitions).to.deep.equal([[null, "run"]]);
    expect(child!.successful).to.equal(true);
  });

  it("a state call made after its state has ended starts a new machine", async () => {
    let later: Promise<StateMachine> | undefined;
    class Echo {
      @state()
      first(): void {
        later = delay(5).then(() => start(this.second()));
      }
      @state()
      second(): void {}
    }
    const m = start(new Echo().first());
    await m.join();
    const second = await later!;
    expect(second).to.not.equal(m);
    expect(second.transitions).to.deep.equal([[null, "second"]]);
    await second.join();
    expect(m.transitions).to.deep.equal([[null, "first"]]);
  });

  it("a try/catch around a tail call cannot cancel it: the transition happens and a warning is logged", async () => {
    const log: string[] = [];
    class Careless {
      @state({ transitionsTo: "next" })
      swallow(): void {
        try {
          this.next();
        } catch {
          log.push("caught");
        }
        log.push("after");
      }
      @state()
      next(): void {
        log.push("next");
      }
    }
    const m = start(new Careless().swallow());
    await m.join();
    expect(log, "code after a caught tail call does run").to.deep.equal(["caught", "after", "next"]);
    expect(m.transitions).to.deep.equal([
      [null, "swallow"],
      ["swallow", "next"],
    ]);
    expect(warn.args).to.deep.equal([
      [
        "State swallow kept running after its call to next() had ended it, and then returned: " +
          "was the exception of that call caught? The call decides how the state ends",
      ],
    ]);
  });

  it("a caught tail call followed by another error: the transition wins and the error is logged", async () => {
    const log: string[] = [];
    class Rethrower {
      @state({ transitionsTo: "next" })
      wrap(): void {
        try {
          this.next();
        } catch (err) {
          throw new Error(`wrapped: ${(err as Error).name}`, { cause: err });
        }
      }
      @state()
      next(): void {
        log.push("next");
      }
    }
    const m = start(new Rethrower().wrap());
    await m.join();
    expect(log).to.deep.equal(["next"]);
    expect(warn.args).to.have.length(1);
    expect(warn.args[0]![0]).to.equal(
      "State wrap kept running after its call to next() had ended it, and then threw (ignored): " +
        "was the exception of that call caught? The call decides how the state ends: Error: wrapped: TailCall",
    );
  });

  it("a caught invalid transition still fails the machine; try/finally around a tail call is fine", async () => {
    const log: string[] = [];
    class Tidy {
      @state({ transitionsTo: "done" })
      tidy(): void {
        try {
          this.done();
        } finally {
          log.push("finally");
        }
      }
      @state()
      done(): void {
        try {
          this.tidy();
        } catch (err) {
          log.push((err as Error).name);
        }
      }
    }
    const m = start(new Tidy().tidy());
    const error = await m.join().catch((err: unknown) => err);
    expect(error).to.be.instanceOf(StateValidationError);
    expect(log).to.deep.equal(["finally", "StateValidationError"]);
    expect(warn.args).to.have.length(1, "only the swallowed StateValidationError is warned about");
  });

  it("asStateMachine() accepts only machine handles", () => {
    expect(() => asStateMachine(undefined)).to.throw(ConfigurationError, /got undefined/);
    expect(() => asStateMachine({ join() {} })).to.throw(ConfigurationError);
  });

  describe("as a decorator", () => {
    it("rejects what is not a method: a field, an accessor, a class", () => {
      expect(() => {
        class Field {
          // @ts-expect-error a property decorator has no descriptor
          @state()
          value = 1;
        }
        return Field;
      }).to.throw(ConfigurationError, "@state() can only decorate a method, not a field.");
      expect(() => {
        class Accessor {
          @state()
          get value(): number {
            return 1;
          }
        }
        return Accessor;
      }).to.throw(ConfigurationError, "@state() can only decorate a method, not an accessor.");
      const decorate = state() as unknown as (target: unknown) => unknown;
      expect(() => decorate(class {})).to.throw(ConfigurationError, "not a class");
    });

    it("rejects a method named by a symbol", () => {
      const key = Symbol("run");
      expect(() => {
        class Symbolic {
          @state()
          [key](): void {}
        }
        return Symbolic;
      }).to.throw(ConfigurationError, "@state() needs a method with a string name.");
    });

    it("must be called: a bare @state is a ConfigurationError", () => {
      const bare = state as unknown as (
        target: object,
        key: string,
        descriptor: PropertyDescriptor,
      ) => unknown;
      expect(() => bare({}, "run", { value: () => {} })).to.throw(
        ConfigurationError,
        "@state must be called",
      );
    });

    it("rejects bad options", () => {
      expect(() => state({ transitionsTo: 3 as unknown as string })).to.throw(ConfigurationError);
      expect(() => state({ transitionsTo: ["a", 1 as unknown as string] })).to.throw(ConfigurationError);
      expect(() => state({ onStart: "log" as unknown as () => void })).to.throw(ConfigurationError);
    });

    it("works on static methods and keeps the method's name", async () => {
      let reached = false;
      class Static {
        @state()
        static boot(): void {
          reached = true;
        }
      }
      expect(Static.boot.name).to.equal("boot");
      await start(Static.boot()).join();
      expect(reached).to.equal(true);
    });
  });
});
