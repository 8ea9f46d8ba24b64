import { types } from "node:util";

/** A value now, or later. The resolver and teardown stay synchronous until something really waits. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Whether `value` has a `then` method. This reads a property of a user value: it throws whatever its getter
 * (or a Proxy) throws, so call it where a throw is that value's failure.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Whether `value` is a real promise (the engine's own, or one it may call `then` on). It never runs user code
 * and never throws: a Proxy whose `getPrototypeOf` throws, or an object that merely inherits from
 * `Promise.prototype`, is a plain value.
 */
export function isPromise(value: unknown): value is Promise<unknown> {
  try {
    return value instanceof Promise && types.isPromise(value);
  } catch {
    return false;
  }
}

export const noop = (): void => {};

/** A promise with its settle functions, for single-flight waits. */
export interface Deferred<T> {
  promise: Promise<T>;
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

/** Append every item of `items` to `out`, in order: a loop, not `push(...items)`, whose stack use grows with the list. */
export function pushAll<T>(out: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) out.push(items[i]!);
}

/** Combine errors by the error policy (SEMANTICS 4.1–4.2): one is itself, several an AggregateError. */
export function combineErrors(errors: readonly unknown[], what: string): unknown {
  if (errors.length === 1) return errors[0];
  return new AggregateError(errors, `${errors.length} errors in ${what}; the first is the primary one.`);
}

// Sync recursion (deep dependency chains resolved or released without any await) is bounded: past this
// depth the work continues on a fresh stack in a microtask, so a 10,000-deep chain cannot overflow.
let depth = 0;
const MAX_SYNC_DEPTH = 200;

export function withDepth<A, B, R>(fn: (a: A, b: B) => MaybePromise<R>, a: A, b: B): MaybePromise<R> {
  if (depth >= MAX_SYNC_DEPTH) return Promise.resolve().then(() => fn(a, b));
  depth++;
  try {
    return fn(a, b);
  } finally {
    depth--;
  }
}
