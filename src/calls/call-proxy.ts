/**
 * A proxy whose every string property is a function that forwards `(name, args)` to `onCall`. The target
 * may be a function, so that the proxy is callable too (`h.sync({ timeoutMs })`).
 *
 * `then` reads as `undefined`, so that awaiting or resolving with the proxy never queues a call by accident;
 * symbols read as `undefined` too. Assigning to the proxy fails.
 *
 * @internal
 */
export function createCallProxy<P>(target: object, onCall: (method: string, args: unknown[]) => unknown): P {
  return new Proxy(target, {
    get: (_target, property) =>
      typeof property === "string" && property !== "then"
        ? (...args: unknown[]) => onCall(property, args)
        : undefined,
    set: () => false,
    defineProperty: () => false,
  }) as P;
}
