// Every JavaScript value can be thrown: the whole class for property tests, and the hostile values a
// reporting path must survive (Proxies whose every trap throws, getters that throw, no prototype, Symbols).
import fc from "fast-check";

const thrower = (): never => {
  throw new Error("hostile trap");
};

/** A Proxy on `target` whose every trap throws (the handler is itself a Proxy that answers every trap). */
function throwingProxy(target: object): object {
  return new Proxy(target, new Proxy({}, { get: () => thrower }));
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** An object whose message, stack, name, cause, toString and Symbol.toPrimitive all throw. */
function throwingGetters(proto: object | null): object {
  const o = Object.create(proto) as object;
  for (const key of ["message", "stack", "name", "cause", "constructor", "then"]) {
    Object.defineProperty(o, key, { get: thrower, enumerable: true });
  }
  Object.defineProperty(o, "toString", { get: thrower });
  Object.defineProperty(o, Symbol.toPrimitive, { get: thrower });
  Object.defineProperty(o, Symbol.toStringTag, { get: thrower });
  return o;
}

/** Fresh hostile values, by name (a fresh object each call: identity is what the tests check). */
export const HOSTILE: Record<string, () => unknown> = {
  undefined: () => undefined,
  null: () => null,
  zero: () => 0,
  "negative zero": () => -0,
  NaN: () => NaN,
  "empty string": () => "",
  false: () => false,
  "0n": () => 0n,
  symbol: () => Symbol("thrown"),
  "symbol without description": () => Symbol(),
  "frozen object": () => Object.freeze({ frozen: true }),
  "frozen Error": () => Object.freeze(new Error("frozen")),
  "null-prototype object": () => Object.create(null) as object,
  "object whose getters throw": () => throwingGetters(Object.prototype),
  "Error whose getters throw": () => throwingGetters(Error.prototype),
  "null-prototype object whose getters throw": () => throwingGetters(null),
  "Proxy throwing on every trap": () => throwingProxy({}),
  "Proxy of an Error throwing on every trap": () => throwingProxy(new Error("behind a proxy")),
  "revoked Proxy": () => revokedProxy(),
  "thenable that resolves": () => ({ then: (resolve: (v: unknown) => void) => resolve(1) }),
  "thenable whose then throws": () => ({ then: thrower }),
  function: () => () => 1,
  "AbortError DOMException": () => new DOMException("aborted by the code itself", "AbortError"),
};

/**
 * Any value at all: fast-check's anything (every kind switched on) and the hostile values above, each
 * behind a function (fast-check itself probes what it generates, which a hostile value would not survive).
 */
export const anyThrown: fc.Arbitrary<() => unknown> = fc.oneof(
  fc
    .anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
    })
    .map((v) => () => v),
  fc.constantFrom(...Object.keys(HOSTILE)).map((name) => HOSTILE[name]!),
);

/** `Object.is`, which no trap can intercept (NaN is itself, -0 is not 0). */
export const same = (a: unknown, b: unknown): boolean => Object.is(a, b);
