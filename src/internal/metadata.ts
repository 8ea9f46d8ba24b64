import { container as tsyringeGlobal } from "tsyringe";
import { ConfigurationError } from "../errors.js";
import { Lifetime } from "../lifetimes.js";
import { isDelayed, tokenName, type AnyToken, type Constructor } from "../tokens.js";

/** One constructor parameter: its token, and whether it takes every provider (`@injectAll`). */
export interface ParamSpec {
  readonly token: AnyToken;
  readonly multiple: boolean;
  readonly optional: boolean;
}

const TSYRINGE_TOKENS_KEY = "injectionTokens";
// Types TypeScript emits for parameters it cannot name (interfaces, unions) or primitives: never a service.
const NOT_A_SERVICE = new Set<unknown>([Object, String, Number, Boolean, Symbol, Array, Function, Promise]);

/**
 * Constructor parameters of a class: `static inject = [...]` (TC39 decorators), else tsyringe's
 * `injectionTokens` over `design:paramtypes` (legacy decorators), else none.
 */
export function classParams(cls: Constructor): ParamSpec[] {
  const declared = (cls as unknown as { inject?: unknown }).inject;
  if (declared !== undefined) {
    if (!Array.isArray(declared)) {
      throw new ConfigurationError(`${cls.name}: static inject must be an array of tokens.`);
    }
    return declared.map((token: unknown, i) => checkParam(cls, i, token, false, false));
  }
  const paramTypes = Reflect.getMetadata("design:paramtypes", cls) as unknown[] | undefined;
  const types: unknown[] = paramTypes ?? [];
  const injected =
    (Reflect.getOwnMetadata(TSYRINGE_TOKENS_KEY, cls) as Record<string, unknown> | undefined) ?? {};
  if (paramTypes === undefined) {
    // Without type metadata the parameters nobody named with @inject would silently get undefined.
    for (let i = 0; i < cls.length; i++) {
      if (injected[i] === undefined) throw new ConfigurationError(missingMetadata(cls));
    }
  }
  const count = Math.max(types.length, ...Object.keys(injected).map((k) => Number(k) + 1));
  const params: ParamSpec[] = [];
  for (let i = 0; i < count; i++) {
    const descriptor = injected[i];
    if (descriptor === undefined) {
      params.push(checkParam(cls, i, types[i], false, false));
    } else if (typeof descriptor === "object" && descriptor !== null && "token" in descriptor) {
      const d = descriptor as {
        token: unknown;
        multiple?: boolean;
        isOptional?: boolean;
        transform?: unknown;
      };
      if (d.transform !== undefined) {
        throw new ConfigurationError(
          `${cls.name} parameter ${i}: tsyringe transforms (@injectWithTransform) are not supported; ` +
            `use a useFactory provider instead.`,
        );
      }
      params.push(checkParam(cls, i, d.token, d.multiple === true, d.isOptional === true));
    } else {
      params.push(checkParam(cls, i, descriptor, false, false));
    }
  }
  return params;
}

function checkParam(
  cls: Constructor,
  i: number,
  token: unknown,
  multiple: boolean,
  optional: boolean,
): ParamSpec {
  const ok =
    typeof token === "string" ||
    typeof token === "symbol" ||
    isDelayed(token) ||
    (typeof token === "function" && !NOT_A_SERVICE.has(token));
  if (!ok) {
    const what = token === undefined ? "undefined (a circular import?)" : tokenName(token);
    throw new ConfigurationError(
      `${cls.name} constructor parameter ${i} has no usable token (its type is ${what}). ` +
        `Add @inject(token) to it, use delay(() => Class) for a circular import, or declare ` +
        `static inject = [...] on the class.`,
    );
  }
  return { token: token as AnyToken, multiple, optional };
}

/**
 * The message for a class whose constructor takes parameters that no metadata names: the compiler did not
 * emit `design:paramtypes` (emitDecoratorMetadata is off, or the class has no decorator at all).
 */
export function missingMetadata(cls: Constructor): string {
  return (
    `${cls.name || "<anonymous class>"} takes ${cls.length} constructor parameter(s) but has no type ` +
    `metadata for them (design:paramtypes). Turn on "emitDecoratorMetadata" and "experimentalDecorators" ` +
    `in tsconfig.json (and decorate the class with @scopedService or @injectable), or declare ` +
    `static inject = [TokenA, TokenB] on the class.`
  );
}

/** Whether a class takes constructor parameters that no metadata names (see {@link missingMetadata}). */
export function lacksMetadata(cls: unknown): cls is Constructor {
  return typeof cls === "function" && cls.length > 0 && !isConstructible(cls as Constructor);
}

/** Whether an unregistered class may be built as a transient: it has constructor metadata or no parameters. */
export function isConstructible(cls: Constructor): boolean {
  return (
    (cls as unknown as { inject?: unknown }).inject !== undefined ||
    Reflect.hasMetadata("design:paramtypes", cls) ||
    Reflect.hasOwnMetadata(TSYRINGE_TOKENS_KEY, cls) ||
    cls.length === 0
  );
}

/** The lifetime tsyringe's own `@singleton()` / `@scoped()` gave a class, if any. */
export function tsyringeLifetime(cls: Constructor): Lifetime | undefined {
  try {
    if (!tsyringeGlobal.isRegistered(cls)) return undefined;
    const registry = (tsyringeGlobal as unknown as { _registry?: { get(k: unknown): unknown } })._registry;
    const registration = registry?.get(cls) as { options?: { lifecycle?: number } } | null | undefined;
    switch (registration?.options?.lifecycle) {
      case 1:
        return Lifetime.Singleton;
      case 3:
        return Lifetime.Scoped;
      default:
        return Lifetime.Transient;
    }
  } catch {
    return undefined;
  }
}

export type HookKind = "init" | "nmd";
type HookNames = { init: (string | symbol)[]; nmd: (string | symbol)[] };

const ownHooks = new WeakMap<object, HookNames>();
let hooksVersion = 0;
let mergedVersion = 0;
// A Map rather than a WeakMap so that it can be cleared when a hook is added; classes are long-lived.
const cache = new Map<unknown, HookNames | null>();

/** Record that `method` of `cls` is an `@onInit` or `@onNoMoreDependents` hook. */
export function addHook(cls: object, kind: HookKind, method: string | symbol): void {
  let hooks = ownHooks.get(cls);
  if (!hooks) ownHooks.set(cls, (hooks = { init: [], nmd: [] }));
  if (!hooks[kind].includes(method)) {
    hooks[kind].push(method);
    hooksVersion++;
  }
}

/** Hooks of an instance's class and its base classes (base first); null when it has none. */
export function hooksOf(value: unknown): HookNames | null {
  if (value === null || typeof value !== "object") return null;
  const cls = (value as { constructor?: unknown }).constructor;
  if (typeof cls !== "function") return null;
  if (mergedVersion !== hooksVersion) {
    // A hook was added since the cache was filled (TC39 method decorators register on first construction).
    mergedVersion = hooksVersion;
    cache.clear();
  }
  let merged = cache.get(cls);
  if (merged === undefined) {
    merged = null;
    const chain: object[] = [];
    for (
      let c: unknown = cls;
      typeof c === "function" && c !== Function.prototype;
      c = Object.getPrototypeOf(c)
    ) {
      chain.unshift(c);
    }
    for (const c of chain) {
      const own = ownHooks.get(c);
      if (!own) continue;
      merged ??= { init: [], nmd: [] };
      for (const m of own.init) if (!merged.init.includes(m)) merged.init.push(m);
      for (const m of own.nmd) if (!merged.nmd.includes(m)) merged.nmd.push(m);
    }
    cache.set(cls, merged);
  }
  return merged;
}
