import { ConfigurationError } from "../errors.js";
import type { StateDefinition, StateInfo } from "./definition.js";
import { enterState } from "./state-machine.js";

export type { StateInfo } from "./definition.js";

/**
 * Options of {@link state}.
 *
 * @example
 * ```ts
 * const options: StateOptions = { transitionsTo: ["dead", "withering"], onStart: (info) => log(info.name) };
 * ```
 */
export interface StateOptions {
  /** The states this one may call (one name or several). None: a terminal state. */
  transitionsTo?: string | string[];
  /** Runs before each entry into this state, the first included, with the state, the object and the arguments. */
  // A method signature, so that a callback may name the object's class and the state's parameters.
  onStart?(state: StateInfo, target: object, ...args: unknown[]): void;
}

/**
 * The decorator {@link state} returns: a TC39 standard method decorator and a legacy one. It keeps the
 * method's type; {@link asStateMachine} narrows an outside call's result to the machine handle.
 *
 * @example
 * ```ts
 * const terminal: StateDecorator = state();
 * ```
 */
export interface StateDecorator {
  <This, Args extends any[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/**
 * Make a method a state of a state machine (gevent_async's `@state`). Called from outside a running state,
 * it starts a new machine and returns its {@link StateMachine} handle at once; the state runs on a later
 * tick. Called from inside a running state of the same object (after an `await` too), it is a tail call:
 * validated against `transitionsTo`, it ends the current state right there and the machine moves on to
 * the called state. Sync and async methods both work. Works as a legacy and as a TC39 standard decorator.
 * A state call from a callback the state set up and does not await (a timer, an event listener, an
 * un-awaited `.then`) is a call from outside: it starts a new machine, and the running state goes on.
 *
 * A tail call ends the state by throwing an internal exception: code after it never runs, unless a
 * `try/catch` around it catches that exception; the transition happens all the same and a warning is
 * logged. `finally` blocks run as for any exception.
 *
 * @example
 * ```ts
 * class Door {
 *   @state({ transitionsTo: "closed" })
 *   async open(): Promise<void> {
 *     await sleep(10);
 *     this.closed(); // tail call: open() ends here
 *   }
 *   @state() // terminal
 *   closed(): void {}
 * }
 * const machine = asStateMachine(new Door().open());
 * await machine.join(); // machine.transitions: [[null, "open"], ["open", "closed"]]
 * ```
 */
export function state(options?: StateOptions): StateDecorator {
  if (arguments.length > 1) {
    throw new ConfigurationError(
      "@state must be called: write @state() or @state({ transitionsTo: [...] }).",
    );
  }
  const transitionsTo = checkTransitions(options?.transitionsTo);
  const onStart = options?.onStart;
  if (onStart !== undefined && typeof onStart !== "function") {
    throw new ConfigurationError(`@state({ onStart }) must be a function, got ${typeof onStart}.`);
  }
  const toState = (body: StateDefinition["body"], name: string | symbol) => {
    if (typeof name !== "string") throw new ConfigurationError("@state() needs a method with a string name.");
    const definition: StateDefinition = { info: Object.freeze({ name, transitionsTo }), body, onStart };
    const method = function (this: object, ...args: unknown[]) {
      return enterState(this, definition, args);
    };
    return Object.defineProperty(method, "name", { value: name });
  };
  return ((target: unknown, keyOrContext: unknown, descriptor?: PropertyDescriptor) => {
    // TC39: (method, context). Legacy: (prototype or class, key, descriptor).
    if (typeof keyOrContext === "object" && keyOrContext !== null && "kind" in keyOrContext) {
      const { kind, name } = keyOrContext as DecoratorContext;
      if (kind !== "method" || typeof target !== "function") throw notAMethod(kind);
      return toState(target as StateDefinition["body"], name!);
    }
    if (typeof keyOrContext !== "string" && typeof keyOrContext !== "symbol") throw notAMethod("class");
    if (typeof descriptor?.value !== "function") {
      throw notAMethod(descriptor?.get || descriptor?.set ? "accessor" : "field");
    }
    return { ...descriptor, value: toState(descriptor.value, keyOrContext) };
  }) as StateDecorator;
}

function notAMethod(kind: string): ConfigurationError {
  const article = /^[aeiou]/.test(kind) ? "an" : "a";
  return new ConfigurationError(`@state() can only decorate a method, not ${article} ${kind}.`);
}

function checkTransitions(transitionsTo: unknown): readonly string[] {
  const names =
    transitionsTo === undefined ? [] : typeof transitionsTo === "string" ? [transitionsTo] : transitionsTo;
  if (!Array.isArray(names) || names.some((name) => typeof name !== "string")) {
    throw new ConfigurationError(`@state({ transitionsTo }) must be a state name or an array of them.`);
  }
  return Object.freeze([...new Set<string>(names)]); // a set: a state named twice is one transition
}
