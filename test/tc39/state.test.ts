// @state under TC39 standard decorators (this file is compiled without experimentalDecorators).
import { expect } from "chai";
import { asStateMachine, ConfigurationError, state, StateValidationError, type StateInfo } from "asyncscope";

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("@state as a TC39 standard decorator", () => {
  it("runs a machine: async first state, tail calls after await, onStart on every entry", async () => {
    const log: unknown[] = [];
    const onStart = (info: StateInfo, _target: object, ...args: unknown[]) =>
      log.push(`start ${info.name}`, args);

    class Flower {
      reached = false;
      @state({ transitionsTo: "growing", onStart })
      sprouting(): void {
        this.reached = true;
        this.growing(2);
        log.push("never");
      }
      @state({ transitionsTo: ["flowering"], onStart })
      async growing(days: number): Promise<void> {
        await tick();
        log.push(`grew ${days} days`);
        this.flowering();
      }
      @state({ onStart })
      flowering(): void {
        log.push("flowering");
      }
    }

    const flower = new Flower();
    const machine = asStateMachine(flower.sprouting());
    expect(machine.transitions).to.deep.equal([[null, "sprouting"]]);
    expect(flower.reached).to.equal(false);
    await machine.join();
    expect(machine.successful).to.equal(true);
    expect(log).to.deep.equal([
      "start sprouting",
      [],
      "start growing",
      [2],
      "grew 2 days",
      "start flowering",
      [],
      "flowering",
    ]);
    expect(machine.transitions).to.deep.equal([
      [null, "sprouting"],
      ["sprouting", "growing"],
      ["growing", "flowering"],
    ]);
  });

  it("fails on an invalid transition, and works on private methods", async () => {
    class Gate {
      @state({ transitionsTo: "#closed" })
      #opening(): void {
        this.#closed();
      }
      @state()
      #closed(): void {
        this.#opening();
      }
      open(): unknown {
        return this.#opening();
      }
    }
    const machine = asStateMachine(new Gate().open());
    const error = await machine.join().catch((err: unknown) => err);
    expect(error).to.be.instanceOf(StateValidationError);
    expect((error as Error).message).to.equal("Invalid state transition #closed -> #opening");
  });

  it("rejects what is not a method with a ConfigurationError", () => {
    expect(() => {
      class Field {
        // @ts-expect-error not a method
        @state()
        value = 1;
      }
      return Field;
    }).to.throw(ConfigurationError, "@state() can only decorate a method, not a field.");
    expect(() => {
      class Getter {
        // @ts-expect-error not a method
        @state()
        get value(): number {
          return 1;
        }
      }
      return Getter;
    }).to.throw(ConfigurationError, "@state() can only decorate a method, not a getter.");
    expect(() => {
      class AutoAccessor {
        // @ts-expect-error not a method
        @state()
        accessor value = 1;
      }
      return AutoAccessor;
    }).to.throw(ConfigurationError, "@state() can only decorate a method, not an accessor.");
    expect(() => {
      // @ts-expect-error not a method
      @state()
      class Decorated {}
      return Decorated;
    }).to.throw(ConfigurationError, "@state() can only decorate a method, not a class.");
  });
});
