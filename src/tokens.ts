import type { delay } from "tsyringe";
import { ConfigurationError } from "./errors.js";

/** tsyringe's `delay(() => Class)` token, named through tsyringe's public entry point only. */
type DelayedConstructor<T> = ReturnType<typeof delay<T>>;

/**
 * A class: anything `new` can build.
 *
 * @example
 * ```ts
 * const plugins: Constructor<Plugin>[] = [AuditPlugin, MetricsPlugin];
 * ```
 */
export type Constructor<T = unknown> = new (...args: any[]) => T;

/**
 * What identifies a service: a string, a symbol or a class. tsyringe's `InjectionToken` (including
 * `delay(() => Class)`) is accepted too.
 *
 * @example
 * ```ts
 * const DB: Token<Database> = Symbol("db");
 * container.register(DB, { useClass: Database });
 * ```
 */
export type Token<T = unknown> = string | symbol | Constructor<T>;

/** Any token the resolver accepts at run time, tsyringe's delayed constructors included. */
export type AnyToken<T = unknown> = Token<T> | DelayedConstructor<T>;

/** Whether a value is a tsyringe `delay(() => Class)` token. */
export function isDelayed(token: unknown): token is DelayedConstructor<unknown> {
  // Duck-typed, so that a second copy of tsyringe in node_modules is recognised as well.
  return (
    typeof token === "object" &&
    token !== null &&
    typeof (token as { wrap?: unknown }).wrap === "function" &&
    typeof (token as { createProxy?: unknown }).createProxy === "function"
  );
}

/**
 * The display name of a token, used in every message and in `inspect()`: a class by its name, a string
 * as itself, a symbol by its description.
 */
export function tokenName(token: unknown): string {
  if (typeof token === "string") return token;
  if (typeof token === "symbol") return token.description ?? token.toString();
  if (typeof token === "function") return token.name || "<anonymous class>";
  if (isDelayed(token)) {
    try {
      return tokenName((token as unknown as { wrap: () => unknown }).wrap());
    } catch {
      return "<delayed>";
    }
  }
  try {
    return String(token);
  } catch {
    return Object.prototype.toString.call(token);
  }
}

/**
 * Check a token given by the user and unwrap `delay(() => Class)`; a bad one is a `ConfigurationError`
 * that says what is accepted.
 */
export function checkToken(token: unknown, where: string): Token {
  if (typeof token === "string" || typeof token === "symbol") return token;
  if (typeof token === "function") return token as Constructor;
  if (isDelayed(token)) {
    const target = (token as unknown as { wrap: () => unknown }).wrap();
    if (typeof target !== "function") {
      throw new ConfigurationError(
        `${where}: delay(() => …) returned ${describeValue(target)}, not a class.`,
      );
    }
    return target as Constructor;
  }
  throw new ConfigurationError(
    `${where}: ${describeValue(token)} is not a valid token. Use a string, a symbol or a class ` +
      `(a class parameter typed as an interface needs @inject(token)).`,
  );
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "object") return `an object (${Object.prototype.toString.call(value)})`;
  return `${typeof value} ${String(value)}`;
}
