// One "abort" listener per signal, however many waits are pending on it: each wait adds a callback to the
// signal's list, not a listener to the signal, so that a thousand concurrent resolves in one body never
// trip Node's MaxListenersExceededWarning. The listener goes when the last callback does.

import { combineErrors } from "./maybe.js";

type Callback = () => void;

/** The callbacks waiting on one signal (one alone, or a set in the order added) and the listener that runs them. */
class AbortFan {
  callbacks: Callback | Set<Callback>;
  constructor(
    private readonly signal: AbortSignal,
    first: Callback,
  ) {
    this.callbacks = first;
  }

  readonly listener = (): void => {
    const callbacks = this.callbacks;
    if (typeof callbacks === "function") {
      fans.delete(this.signal);
      callbacks();
      return;
    }
    // A copy: a callback may remove one not run yet (it then does not run); the fan stays findable until
    // the end, for that.
    let failures: unknown[] | undefined;
    for (const callback of [...callbacks]) {
      if (!callbacks.delete(callback)) continue;
      try {
        callback();
      } catch (err) {
        (failures ??= []).push(err);
      }
    }
    fans.delete(this.signal);
    // As with separate listeners, every callback ran; what they threw goes where a listener's error goes.
    if (failures) throw combineErrors(failures, "abort callbacks");
  };
}

const fans = new WeakMap<AbortSignal, AbortFan>();

/** Call `callback` once when `signal` aborts (the caller checks `signal.aborted` first). Undo with `removeAbortCallback`. */
export function addAbortCallback(signal: AbortSignal, callback: Callback): void {
  const fan = fans.get(signal);
  if (fan === undefined) {
    const created = new AbortFan(signal, callback);
    fans.set(signal, created);
    signal.addEventListener("abort", created.listener, { once: true });
  } else if (typeof fan.callbacks === "function") {
    fan.callbacks = new Set([fan.callbacks, callback]);
  } else {
    fan.callbacks.add(callback);
  }
}

/** Forget a callback `addAbortCallback` added (no-op if it ran or was never added); the listener goes with the last. */
export function removeAbortCallback(signal: AbortSignal, callback: Callback): void {
  const fan = fans.get(signal);
  if (fan === undefined) return;
  const callbacks = fan.callbacks;
  if (typeof callbacks === "function") {
    if (callbacks !== callback) return;
  } else if (!callbacks.delete(callback) || callbacks.size > 0) return;
  fans.delete(signal);
  signal.removeEventListener("abort", fan.listener);
}
