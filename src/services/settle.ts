// Timer and error helpers of the service lifecycle (the generic ones are in ../internal/maybe.ts). Internal.
import { cancelTimer, startTimer, type Timer } from "../internal/timer.js";
import { logSafely, type Logger } from "../logger.js";

/** How a hook ended: `failed` with `error`, or not. */
export interface Outcome {
  readonly failed: boolean;
  readonly error?: unknown;
}

/** Call a user hook; a synchronous throw becomes the outcome, the result never rejects. */
export function outcomeOf(hook: () => unknown): Promise<Outcome> {
  try {
    return Promise.resolve(hook()).then(
      () => ({ failed: false }),
      (error: unknown) => ({ failed: true, error }),
    );
  } catch (error) {
    return Promise.resolve({ failed: true, error });
  }
}

/**
 * Whether `promise` has settled already, asked now: the reactions of a settled promise are queued at once
 * and run before those of a marker resolved after it, those of a pending one only once it settles.
 */
export function settledAlready(promise: Promise<unknown>): Promise<boolean> {
  const marker = {};
  return Promise.race([promise, marker]).then(
    (value) => value !== marker,
    () => true,
  );
}

/**
 * `promise`'s value, or `undefined` when `ms` runs out first (Infinity: never; checked when the service
 * starts, a later NaN is never too). The timer is always cleared.
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  if (!(ms < Infinity)) return promise;
  let timer: Timer | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = startTimer(ms, () => resolve(undefined));
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    cancelTimer(timer);
  }
}

/** Tell the logger that `what` ignored its cancellation for `ms` and is no longer waited for (SEMANTICS 5.5). */
export function reportStuck(
  owner: { readonly name: string; readonly logger: Logger },
  what: string,
  ms: number,
) {
  const msg = `Service ${owner.name}: ${what} still running ${ms} ms after it was cancelled; no longer waiting for it`;
  logSafely(owner.logger, "warn", msg);
}

/**
 * Errors in the order they were thrown. A stop cascade gives each service its own log, chained to
 * the log of whoever released it, so both see every error below them in time order.
 */
export class ErrorLog {
  readonly errors: unknown[] = [];
  constructor(private readonly parent?: ErrorLog) {}
  add(error: unknown): void {
    this.errors.push(error);
    this.parent?.add(error);
  }
}
