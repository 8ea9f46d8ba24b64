import { asStateMachine, sleep, state, type StateInfo } from "asyncscope";

const announce = (info: StateInfo, _flower: object, ...args: unknown[]): void =>
  console.log(`-> ${info.name}`, ...args);

class Flower {
  constructor(readonly eaten: boolean) {}

  @state({ transitionsTo: "growing", onStart: announce })
  sprouting(): void {
    this.growing(3); // a tail call: sprouting ends right here
  }

  @state({ transitionsTo: "flowering", onStart: announce })
  async growing(days: number): Promise<void> {
    await sleep(days); // after an await, a state call is still a tail call
    this.flowering();
  }

  @state({ transitionsTo: ["dead", "withering"], onStart: announce })
  flowering(): void {
    if (this.eaten) this.dead(true);
    else this.withering();
  }

  @state({ transitionsTo: "dead", onStart: announce })
  withering(): void {
    this.dead(false);
  }

  @state({ onStart: announce }) // no transitionsTo: a terminal state
  dead(eaten: boolean): void {
    console.log(eaten ? "eaten" : "withered away");
  }
}

// Called from outside a running state, a state method starts a machine and returns its handle.
const machine = asStateMachine(new Flower(false).sprouting());
await machine.join();
console.log(machine.transitions.map(([from, to]) => `${from} -> ${to}`).join(", "));

// A transition that is not declared fails the machine.
class Stubborn {
  @state()
  stay(): void {
    this.stay();
  }
}
const stubborn = asStateMachine(new Stubborn().stay());
await stubborn.join().catch((err: Error) => console.log(`${err.name}: ${err.message}`));
