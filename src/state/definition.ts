// The nouns of a state: what `onStart` sees and what the runner needs. A leaf, so that the decorator
// (state.ts) and the runner (active-state.ts, state-machine.ts) both import it without importing each other.

/**
 * A state as `onStart` sees it: its name and the states it may hand over to.
 *
 * @example
 * ```ts
 * @state({ onStart: (info) => console.log(`entering ${info.name}, next: ${info.transitionsTo}`) })
 * ```
 */
export interface StateInfo {
  readonly name: string;
  /** Empty for a terminal state, which may not even transition to itself. Each name once. */
  readonly transitionsTo: readonly string[];
}

/** @internal A decorated state, as the runner needs it. */
export interface StateDefinition {
  readonly info: StateInfo;
  readonly body: (...args: unknown[]) => unknown;
  readonly onStart: ((state: StateInfo, target: object, ...args: unknown[]) => void) | undefined;
}
