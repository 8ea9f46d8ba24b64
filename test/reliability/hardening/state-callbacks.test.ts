// Hardening, class 12: the state machine's internal control flow never escapes. A state call is a tail call
// only from the running state's own flow (its body, what the body calls, code after an await in it, a
// callback the body awaits); from a callback the state set up but does not await (a timer, an event
// listener, an un-awaited .then) it is a call from outside, which starts a new machine (SEMANTICS 8.1),
// whether the state still runs or has ended. No internal exception ever escapes as an uncaught exception
// or an unhandled rejection.
import { expect } from "chai";
import fc from "fast-check";
import { EventEmitter } from "node:events";
import { asStateMachine, state, StateValidationError, type StateMachine } from "asyncscope";
import { propertyOptions, settle } from "../../support/helpers.js";

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Records every uncaught exception and unhandled rejection while installed. */
function escapes(): { seen: unknown[]; stop(): void } {
  const seen: unknown[] = [];
  const onError = (error: unknown): void => void seen.push(error);
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  return {
    seen,
    stop: () => {
      process.off("uncaughtException", onError);
      process.off("unhandledRejection", onError);
    },
  };
}

type CallbackKind = "timer" | "immediate" | "then" | "microtask" | "listener";
type Ending = "return" | "tail" | "tail-in-awaited-then" | "invalid";
interface Plan {
  async: boolean;
  waitMs: number;
  ending: Ending;
  callbacks: { kind: CallbackKind; ms: number; to: "a" | "b" | "c" }[];
}

class Machine3 {
  plan: Plan | undefined;
  readonly started: StateMachine[] = [];
  #fired = 0;
  #allFired: () => void = () => undefined;
  readonly allFired = new Promise<void>((resolve) => (this.#allFired = resolve));

  #schedule(plan: Plan): void {
    const emitter = new EventEmitter();
    for (const { kind, ms, to } of plan.callbacks) {
      const call = (): void => {
        this.started.push(asStateMachine(this[to]()));
        if (++this.#fired === plan.callbacks.length) this.#allFired();
      };
      if (kind === "timer") setTimeout(call, ms);
      else if (kind === "immediate") setImmediate(call);
      else if (kind === "then") void Promise.resolve().then(call);
      else if (kind === "microtask") queueMicrotask(call);
      else {
        emitter.once(`go${ms}`, call);
        setTimeout(() => emitter.emit(`go${ms}`), ms);
      }
    }
    if (plan.callbacks.length === 0) this.#allFired();
  }

  @state({ transitionsTo: "b" })
  a(): void | Promise<void> {
    const plan = this.plan;
    this.plan = undefined; // only the first entry schedules callbacks
    if (plan === undefined) return;
    this.#schedule(plan);
    const end = (): void => {
      if (plan.ending === "tail") this.b();
      else if (plan.ending === "invalid") this.c();
    };
    if (!plan.async) return end();
    return (async () => {
      await delay(plan.waitMs);
      if (plan.ending === "tail-in-awaited-then") await delay(0).then(() => this.b());
      end();
    })();
  }

  @state({ transitionsTo: "c" })
  b(): void {
    this.c();
  }

  @state()
  c(): void {}
}

describe("hardening: a state call from a callback never lets the internal exception escape", () => {
  it("a state call from a timer while the state still runs starts a new machine; the running state goes on", async () => {
    const watch = escapes();
    try {
      const log: string[] = [];
      let fromTimer: unknown;
      class Door {
        @state({ transitionsTo: "closed" })
        async open(): Promise<void> {
          setTimeout(() => (fromTimer = this.closed()), 1);
          await delay(20);
          log.push("open:end");
        }
        @state()
        closed(): void {
          log.push("closed");
        }
      }
      const machine = asStateMachine(new Door().open());
      await machine.join();
      expect(machine.transitions).to.deep.equal([[null, "open"]]);
      const other = asStateMachine(fromTimer);
      await other.join();
      expect(other.transitions).to.deep.equal([[null, "closed"]]);
      expect(log).to.deep.equal(["closed", "open:end"]);
      await delay(5);
      expect(watch.seen).to.deep.equal([]);
    } finally {
      watch.stop();
    }
  });

  it("a state call in a timer callback that resolves what the state awaits does not hang the state", async () => {
    const watch = escapes();
    try {
      let fromTimer: unknown;
      class Door {
        @state({ transitionsTo: "closed" })
        async open(): Promise<void> {
          await new Promise<void>((resolve) =>
            setTimeout(() => {
              fromTimer = this.closed();
              resolve();
            }, 1),
          );
        }
        @state()
        closed(): void {}
      }
      const machine = asStateMachine(new Door().open());
      await machine.join();
      expect(machine.transitions).to.deep.equal([[null, "open"]]);
      expect(asStateMachine(fromTimer).transitions).to.deep.equal([[null, "closed"]]);
      await delay(5);
      expect(watch.seen).to.deep.equal([]);
    } finally {
      watch.stop();
    }
  });

  it("a state call from an un-awaited .then of a sync state starts a new machine", async () => {
    const watch = escapes();
    try {
      let fromThen: unknown;
      class Door {
        @state({ transitionsTo: "closed" })
        open(): void {
          void Promise.resolve().then(() => (fromThen = this.closed()));
        }
        @state()
        closed(): void {}
      }
      const machine = asStateMachine(new Door().open());
      await machine.join();
      await delay(1);
      expect(machine.transitions).to.deep.equal([[null, "open"]]);
      expect(asStateMachine(fromThen).transitions).to.deep.equal([[null, "closed"]]);
      expect(watch.seen).to.deep.equal([]);
    } finally {
      watch.stop();
    }
  });

  it("property: random callbacks making state calls during and after a state: nothing escapes, every machine ends as documented", async () => {
    const plan: fc.Arbitrary<Plan> = fc.record({
      async: fc.boolean(),
      waitMs: fc.integer({ min: 0, max: 4 }),
      ending: fc.constantFrom<Ending>("return", "tail", "tail-in-awaited-then", "invalid"),
      callbacks: fc.array(
        fc.record({
          kind: fc.constantFrom<CallbackKind>("timer", "immediate", "then", "microtask", "listener"),
          ms: fc.integer({ min: 0, max: 6 }),
          to: fc.constantFrom<"a" | "b" | "c">("a", "b", "c"),
        }),
        { maxLength: 5 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        if (!p.async && p.ending === "tail-in-awaited-then") p = { ...p, ending: "tail" };
        const watch = escapes();
        try {
          const target = new Machine3();
          target.plan = p;
          const machine = asStateMachine(target.a());
          const outcome = await settle(machine.join());
          await target.allFired;
          const others = await Promise.all(target.started.map((m) => settle(m.join())));
          // 1. The machine ends as its own body says, whatever the callbacks did.
          if (p.ending === "invalid") {
            expect((outcome as { error: unknown }).error).to.be.instanceOf(StateValidationError);
            expect(machine.transitions).to.deep.equal([[null, "a"]]);
          } else if (p.ending === "return") {
            expect(outcome.ok).to.equal(true);
            expect(machine.transitions).to.deep.equal([[null, "a"]]);
          } else {
            expect(outcome.ok).to.equal(true);
            expect(machine.transitions).to.deep.equal([
              [null, "a"],
              ["a", "b"],
              ["b", "c"],
            ]);
          }
          // 2. Each callback's state call started its own machine, which ran from that state.
          expect(target.started).to.have.length(p.callbacks.length);
          expect(target.started.map((m) => m.transitions[0])).to.have.deep.members(
            p.callbacks.map(({ to }) => [null, to]),
          );
          expect(others.every((o) => o.ok)).to.equal(true);
          // 3. Nothing escaped.
          await new Promise((resolve) => setImmediate(resolve));
          expect(watch.seen).to.deep.equal([]);
        } finally {
          watch.stop();
        }
      }),
      propertyOptions(60),
    );
  });
});
