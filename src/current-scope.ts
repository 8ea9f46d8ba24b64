import { CancelledError } from "./errors.js";
import type { Scope } from "./scope.js";
import { currentAmbient } from "./internal/ambient.js";
import { addAbortCallback, removeAbortCallback } from "./internal/on-abort.js";
import { cancelTimer, checkMs, startTimer } from "./internal/timer.js";

/**
 * The scope whose code is running: inside a spawned task, that task's scope; inside a factory or
 * constructor, the instance's own scope; inside a `withScope` body, the scope it created; outside any,
 * `undefined`. Backed by `AsyncLocalStorage`, so it survives `await`.
 *
 * @example
 * ```ts
 * scope.spawn(async () => {
 *   currentScope()?.cancel(); // ends the scope cleanly
 * });
 * ```
 */
export function currentScope(): Scope | undefined {
  return currentAmbient()?.scope as Scope | undefined;
}

/**
 * Wait `ms` milliseconds, cancellably: rejects with the signal's reason when `signal` (by default the
 * signal of the running task or scope body) aborts. The timer and the listener are always removed.
 * `ms` is a time as everywhere (`Infinity`: until aborted); anything else rejects with a `ConfigurationError`.
 *
 * @example
 * ```ts
 * scope.spawn(async (signal) => {
 *   for (;;) { await poll(); await sleep(1000, signal); }
 * });
 * ```
 */
export function sleep(ms: number, signal: AbortSignal | undefined = currentAmbient()?.signal): Promise<void> {
  try {
    checkMs(ms, "ms", "sleep", true);
  } catch (err) {
    return Promise.reject(err);
  }
  if (signal?.aborted) return Promise.reject(signal.reason ?? new CancelledError());
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      cancelTimer(timer);
      reject(signal!.reason ?? new CancelledError());
    };
    const timer = startTimer(ms, () => {
      if (signal) removeAbortCallback(signal, onAbort);
      resolve();
    });
    if (signal) addAbortCallback(signal, onAbort);
  });
}
