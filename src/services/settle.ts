// Small promise, timer and error helpers shared by the service lifecycle. Internal.
import { logSafely, type Logger } from "../logger.js";

export const noop = (): void => {};

/** A promise with its settle functions. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

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

// setTimeout fires at once for delays above 2^31-1 ms; those, Infinity and NaN mean "no limit".
const MAX_DELAY = 2 ** 31 - 1;

/** `promise`'s value, or `undefined` when `ms` runs out first. The timer is always cleared. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  if (!(ms >= 0 && ms <= MAX_DELAY)) return promise;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
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

/** Whether `error` only says "I was cancelled" (it is the signal's reason or an abort/cancel error). */
export function isCancellation(error: unknown, signal: AbortSignal): boolean {
  if (signal.aborted && error === signal.reason) return true;
  const name = error instanceof Error ? error.name : undefined;
  return name === "AbortError" || name === "CancelledError";
}

/** One error as itself, several as an AggregateError in the order given (SEMANTICS 4.1–4.2). */
export function combineErrors(errors: readonly unknown[], what: string): unknown {
  if (errors.length === 1) return errors[0];
  return new AggregateError(
    errors,
    `${errors.length} errors while ${what}; see .errors, in the order thrown.`,
  );
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
