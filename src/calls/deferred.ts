/**
 * The public members of `DeferredCallHandler`, which {@link Deferred} and {@link OneWay} leave out. Named
 * here, not read with `keyof DeferredCallHandler`, so that this file imports nothing from the handler (no
 * import cycle); deferred-call-handler.ts fails to compile if the two lists ever differ.
 *
 * @example
 * ```ts
 * const reserved: HandlerKey = "process";
 * ```
 */
export type HandlerKey = "sync" | "oneway" | "process" | "stopProcessing";

/**
 * Every method of `T`, queued: same parameters, returning a promise of the method's awaited result. The
 * type of `handler.sync`. The handler's own members, `then` and symbol keys are left out; other properties that
 * are not methods have type `never`, so they cannot be called. Inside the subclass, where `this` is
 * generic, TypeScript types `this.sync.m` loosely; write `(this as MyHandler).sync.m` for full checking.
 *
 * @example
 * ```ts
 * class Counter extends DeferredCallHandler { add(n: number) { return n + 1; } }
 * const deferred: Deferred<Counter> = new Counter().sync;
 * const two: Promise<number> = deferred.add(1);
 * ```
 */
export type Deferred<T> = {
  // A plain key set (no `as` filter, no conditional keys), so that TypeScript still resolves `this.sync.m`
  // inside a subclass, where `this` is generic. `then` is left out as the proxies leave it out: they must
  // never look like promises.
  readonly [K in Exclude<keyof T, HandlerKey | "then" | symbol | number>]: T[K] extends (
    ...args: infer A
  ) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/**
 * Every method of `T`, queued without waiting: same parameters, returning nothing. The type of
 * `handler.oneway`; its keys are those of {@link Deferred}.
 *
 * @example
 * ```ts
 * const oneway: OneWay<Counter> = new Counter().oneway;
 * oneway.add(1); // undefined; an error would go to the logger
 * ```
 */
export type OneWay<T> = {
  readonly [K in Exclude<keyof T, HandlerKey | "then" | symbol | number>]: T[K] extends (
    ...args: infer A
  ) => unknown
    ? (...args: A) => void
    : never;
};
