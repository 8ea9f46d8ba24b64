// Type-level tests for @state: this file only has to compile; each `@ts-expect-error` line must be an error.
import { asStateMachine, state, type StateInfo, type StateMachine } from "asyncscope";
import { expectType, type Equal } from "../support/helpers.js";

class Plant {
  eaten = false;

  // onStart may name the object's class and the state's parameters.
  @state({
    transitionsTo: ["dead"],
    onStart: (_info: StateInfo, plant: Plant, days?: number) => void [plant, days],
  })
  growing(days?: number): void {
    void days;
    this.dead();
  }

  @state()
  async dead(): Promise<void> {}
}

// Never called: these classes would throw ConfigurationError when defined.
export function misuses(): unknown[] {
  class Property {
    // @ts-expect-error a property is not a method
    @state()
    height = 1;
  }
  class Options {
    // @ts-expect-error transitionsTo takes names
    @state({ transitionsTo: 1 })
    wrong(): void {}
  }
  return [Property, Options];
}

export function checkTypes(plant: Plant): void {
  // The decorator keeps the method's type; asStateMachine() gives the handle.
  expectType<Equal<typeof plant.growing, (days?: number) => void>>(true);
  expectType<Equal<ReturnType<typeof asStateMachine>, StateMachine>>(true);
  const machine = asStateMachine(plant.growing(3));
  expectType<Equal<typeof machine.transitions, [from: string | null, to: string][]>>(true);
  expectType<Equal<typeof machine.current, string | undefined>>(true);
  expectType<Equal<ReturnType<typeof machine.join>, Promise<void>>>(true);
  // @ts-expect-error the handle is read-only
  machine.ready = true;
}
