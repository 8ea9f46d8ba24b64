import { CancelledError, ConfigurationError, StateValidationError, describe } from "../errors.js";
import { consoleLogger, logSafely } from "../logger.js";
import {
  activeState,
  inStateBody,
  runStateBody,
  TailCall,
  warnCodeAfterTailCall,
  type ActiveState,
  type Entry,
} from "./active-state.js";
import type { StateDefinition } from "./definition.js";

/**
 * The handle of a running state machine, returned by a `@state` method called from outside a running
 * state. A machine runs one state after another until a state returns without a tail call (success) or
 * throws, makes an invalid transition, or is cancelled (failure).
 *
 * @example
 * ```ts
 * const machine = asStateMachine(new Flower().sprouting());
 * await machine.join();
 * console.log(machine.transitions); // [[null, "sprouting"], ["sprouting", "growing"], …]
 * ```
 */
export interface StateMachine {
  /** The state that runs (or is about to); `undefined` once the machine has ended. */
  readonly current: string | undefined;
  /** Every transition so far, in order: `[null, first]`, then one `[from, to]` per tail call. A copy. */
  readonly transitions: [from: string | null, to: string][];
  /** True once the machine has ended, either way. */
  readonly ready: boolean;
  /** True once the machine has ended in a state that returned. */
  readonly successful: boolean;
  /** Why the machine failed: the error a state threw, a `StateValidationError`, or the cancel reason. */
  readonly error: unknown;
  /**
   * Resolves when the machine ends in a state that returns; rejects with its error. A machine nobody
   * joins never causes an unhandled rejection: its error stays on `error`.
   */
  join(): Promise<void>;
  /**
   * Stop the machine; it fails with `reason`, by default a `CancelledError`. No further state starts. A state
   * that is running cannot be interrupted: the cancel takes effect at its next tail call (which throws
   * `reason`) or when it settles. The first reason wins; cancelling an ended machine does nothing.
   */
  cancel(reason?: unknown): void;
}

/** @internal Every call of a `@state` method: a tail call inside a running state of the same object, else a new machine. */
export function enterState(target: object, state: StateDefinition, args: unknown[]): StateMachine {
  return Machine.enter(target, { state, args });
}

/**
 * Narrow what a `@state` method returned (typed as the method's own return type) to its machine handle.
 * Throws `ConfigurationError` for anything else.
 *
 * @example
 * ```ts
 * const machine = asStateMachine(door.opening());
 * await machine.join();
 * ```
 */
export function asStateMachine(value: unknown): StateMachine {
  if (value instanceof Machine) return value;
  throw new ConfigurationError(
    `Expected the handle a @state method returns when called from outside a running state; got ${describe(value)}.`,
  );
}

class Machine implements StateMachine {
  readonly #transitions: [string | null, string][] = [];
  readonly #done: Promise<void>;
  #current: string | undefined;
  #ready = false;
  #successful = false;
  #error: unknown = undefined;
  #cancelled: { reason: unknown } | undefined;

  /**
   * A state method was called: a tail call from the body of a running state of the same object, else a new
   * machine. A callback the state set up (timer, listener, un-awaited `.then`) is not its body: the
   * exception that ends a state could only escape from there, so its call starts a machine (rule 8.1).
   */
  static enter(target: object, entry: Entry): StateMachine {
    const active = activeState.getStore();
    if (active !== undefined && !active.ended && active.target === target && inStateBody()) {
      return (active.machine as Machine).#tailCall(active, entry);
    }
    return new Machine(target, entry);
  }

  private constructor(target: object, first: Entry) {
    this.#enter(null, first.state.info.name);
    this.#done = this.#run(target, first);
    this.#done.catch(() => {}); // the error stays on the handle; join() hands it out
  }

  get current(): string | undefined {
    return this.#current;
  }
  get transitions(): [from: string | null, to: string][] {
    return this.#transitions.map(([from, to]) => [from, to]);
  }
  get ready(): boolean {
    return this.#ready;
  }
  get successful(): boolean {
    return this.#successful;
  }
  get error(): unknown {
    return this.#error;
  }

  join(): Promise<void> {
    return this.#done;
  }

  cancel(reason?: unknown): void {
    if (this.#ready || this.#cancelled) return;
    this.#cancelled = {
      reason: reason ?? new CancelledError(`State machine cancelled in state ${this.#current}.`),
    };
  }

  /** A state method called inside a running state: it ends that state, here and now. */
  #tailCall(active: ActiveState, entry: Entry): never {
    // 1. A state that already made its tail call (and caught its exception) ends again; the first decides.
    if (active.exit) throw active.exit.thrown;
    const from = active.state.info.name;
    const to = entry.state.info.name;
    // 2. Validate against the current state's transitionsTo (rule 8.2); failures record nothing (8.3).
    if (this.#cancelled) active.exit = { to, thrown: this.#cancelled.reason };
    else if (!active.state.info.transitionsTo.includes(to)) {
      active.exit = { to, thrown: new StateValidationError(from, to) };
    } else {
      this.#enter(from, to);
      active.exit = { to, thrown: new TailCall(from, to), next: entry };
    }
    throw active.exit.thrown;
  }

  #enter(from: string | null, to: string): void {
    this.#transitions.push([from, to]);
    this.#current = to;
  }

  async #run(target: object, first: Entry): Promise<void> {
    // 1. The caller gets the handle first; the first state runs on a later tick (rule 8.1).
    await undefined;
    try {
      // 2. One state after another, until one returns without a tail call.
      let next: Entry | undefined = first;
      while (next !== undefined) next = await this.#runState(target, next);
      this.#successful = true;
    } catch (error) {
      this.#error = error;
      throw error;
    } finally {
      this.#ready = true;
      this.#current = undefined;
    }
  }

  async #runState(target: object, { state, args }: Entry): Promise<Entry | undefined> {
    // 1. A cancel takes effect before the next state starts.
    if (this.#cancelled) throw this.#cancelled.reason;
    // 2. onStart runs before the body, outside any state: a state call there starts a new machine.
    activeState.exit(() => state.onStart?.(state.info, target, ...args));
    // 3. The body runs as the active state, so that state calls in it (after awaits too) are tail calls.
    const active: ActiveState = { machine: this, target, state, ended: false };
    let failure: { error: unknown } | undefined;
    try {
      await activeState.run(active, () => runStateBody(state.body, target, args));
    } catch (error) {
      failure = { error };
    } finally {
      active.ended = true;
    }
    // 4. A tail call decides, however the body ended: catching its exception cannot cancel it.
    const exit = active.exit;
    if (exit !== undefined) {
      if (failure === undefined || failure.error !== exit.thrown) warnCodeAfterTailCall(active, failure);
      if (exit.next === undefined) throw exit.thrown;
      return exit.next;
    }
    // 5. Cancelled while the body ran: the reason wins; the body's own error goes to the logger.
    const cancelled = this.#cancelled as { reason: unknown } | undefined; // may have changed while awaiting
    if (cancelled) {
      if (failure)
        logSafely(consoleLogger, "warn", `State ${state.info.name} failed after a cancel`, failure.error);
      throw cancelled.reason;
    }
    if (failure) throw failure.error;
    return undefined;
  }
}
