import { ConfigurationError } from "./errors.js";
import type { Lifetime } from "./lifetimes.js";
import { checkOptions, type ServiceOptions } from "./options.js";
import type { Constructor, Token } from "./tokens.js";
import { addHook, type HookKind } from "./internal/metadata.js";

/** A class registered by `@scopedService`, seen by every container created with `useDecorated` (default). */
export interface DecoratedService {
  readonly cls: Constructor;
  readonly tokens: Token[];
  readonly options: ServiceOptions | undefined;
}

const decoratedByToken = new Map<Token, DecoratedService[]>();
const classLifetimes = new WeakMap<object, Lifetime>();
let version = 0;

/** @internal Bumped whenever a class is decorated, so containers drop cached look-ups. */
export function decoratedVersion(): number {
  return version;
}

/** @internal Decorated services reachable under `token`, in declaration order. */
export function decoratedFor(token: Token): readonly DecoratedService[] | undefined {
  return decoratedByToken.get(token);
}

/** @internal The lifetime `@scopedService` gave a class (used when it is registered without one). */
export function decoratedLifetime(cls: object): Lifetime | undefined {
  return classLifetimes.get(cls);
}

function isTc39Context(value: unknown, kind: string): value is { kind: string; name: string | symbol } {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === kind;
}

/**
 * Register a class as a service, reachable by the class itself and by `token` when given. The default
 * lifetime is `shared`: one instance while anyone holds it, disposed when the last holder lets go.
 * Works as a legacy and as a TC39 standard class decorator.
 *
 * @example
 * ```ts
 * @scopedService("db")
 * class Database implements AsyncDisposable {
 *   async [Symbol.asyncDispose]() { await this.pool.end(); }
 * }
 * const db = await container.createScope().resolve<Database>("db");
 * ```
 */
export function scopedService(token?: string | symbol, options?: ServiceOptions) {
  if (token !== undefined && typeof token !== "string" && typeof token !== "symbol") {
    throw new ConfigurationError(
      `@scopedService(token): token must be a string or a symbol (the class itself is always a token); got ${typeof token}.`,
    );
  }
  const checked = checkOptions(options, `@scopedService(${token === undefined ? "" : String(token)})`);
  return <C extends Constructor>(target: C, context?: unknown): C => {
    if (typeof target !== "function" || (context !== undefined && !isTc39Context(context, "class"))) {
      throw new ConfigurationError("@scopedService can only decorate a class.");
    }
    const tokens: Token[] = token === undefined ? [target] : [token, target];
    const entry: DecoratedService = { cls: target, tokens, options };
    for (const t of tokens) {
      const list = decoratedByToken.get(t);
      if (list) list.push(entry);
      else decoratedByToken.set(t, [entry]);
    }
    if (checked.lifetime) classLifetimes.set(target, checked.lifetime);
    version++;
    return target;
  };
}

function methodDecorator(kind: HookKind, name: string) {
  return (target: unknown, keyOrContext?: unknown, descriptor?: unknown): void => {
    if (isTc39Context(keyOrContext, "method")) {
      const method = keyOrContext.name;
      (keyOrContext as unknown as { addInitializer(f: (this: object) => void): void }).addInitializer(
        function () {
          addHook((this as { constructor: object }).constructor, kind, method);
        },
      );
      return;
    }
    const isMethod =
      target !== null &&
      typeof target === "object" &&
      (typeof keyOrContext === "string" || typeof keyOrContext === "symbol") &&
      typeof (descriptor as PropertyDescriptor | undefined)?.value === "function";
    if (!isMethod) throw new ConfigurationError(`@${name}() can only decorate an instance method.`);
    addHook((target as { constructor: object }).constructor, kind, keyOrContext as string | symbol);
  };
}

/**
 * Mark a method to be awaited after construction, before anyone receives the instance. If it throws, the
 * creation fails: the instance is disposed and its dependencies released.
 *
 * @example
 * ```ts
 * @scopedService("db")
 * class Database {
 *   @onInit() async migrate() { await this.run(schema); }
 * }
 * ```
 */
export function onInit(): (target: any, keyOrContext?: any, descriptor?: any) => void {
  return methodDecorator("init", "onInit");
}

/**
 * Mark a method to be awaited once when the last holder has released the instance, before its disposal.
 *
 * @example
 * ```ts
 * @scopedService("queue")
 * class Queue {
 *   @onNoMoreDependents() async drain() { await this.flush(); }
 * }
 * ```
 */
export function onNoMoreDependents(): (target: any, keyOrContext?: any, descriptor?: any) => void {
  return methodDecorator("nmd", "onNoMoreDependents");
}
