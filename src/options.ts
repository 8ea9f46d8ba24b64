import { ConfigurationError } from "./errors.js";
import { isLifetime, Lifetime } from "./lifetimes.js";
import { checkToken, tokenName, type Token } from "./tokens.js";
import { checkMs } from "./internal/timer.js";

/**
 * Dependencies that are started before a service and disposed after it, but not injected: the outer
 * list one after another, an inner array in parallel. Deeper nesting is a `ConfigurationError`.
 *
 * @example
 * ```ts
 * container.register("api", { useClass: Api }, { dependsOn: [Config, [Db, Cache]] });
 * ```
 */
export type DependencyList = (Token | Token[])[];

/**
 * Options of a registration (`register` or `@scopedService`).
 *
 * @example
 * ```ts
 * @scopedService("db", { lifetime: "shared", keepAliveMs: 5000, disposeTimeoutMs: 10_000 })
 * class Database {}
 * ```
 */
export interface ServiceOptions {
  /** Default `"shared"`. */
  lifetime?: Lifetime;
  /**
   * Shared only: stay alive this long after the last release; a resolve in that window revives it.
   * Default 0; `Infinity`: until the container closes. Every time follows the README's "Times" rule.
   */
  keepAliveMs?: number;
  /** Give up waiting for this instance's disposal after this long (`DisposeTimeoutError` names it). */
  disposeTimeoutMs?: number;
  /** Started before, disposed after, not injected. */
  dependsOn?: DependencyList;
}

/** A normalized `dependsOn` step: one token, or several started in parallel. */
export type DepStep = { parallel: false; token: Token } | { parallel: true; tokens: Token[] };

export interface CheckedOptions {
  lifetime?: Lifetime;
  keepAliveMs?: number;
  disposeTimeoutMs?: number;
  dependsOn?: DepStep[];
  dispose?: (value: unknown) => unknown;
}

/** Validate service options; shared by `register` and `@scopedService`. */
export function checkOptions(
  options: (ServiceOptions & { dispose?: (value: unknown) => unknown }) | undefined,
  where: string,
): CheckedOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object") {
    throw new ConfigurationError(`${where}: options must be an object; got ${String(options)}.`);
  }
  const out: CheckedOptions = {};
  if (options.lifetime !== undefined) {
    if (!isLifetime(options.lifetime)) {
      throw new ConfigurationError(
        `${where}: lifetime must be one of ${Object.values(Lifetime).join(", ")}; got ${String(options.lifetime)}.`,
      );
    }
    out.lifetime = options.lifetime;
  }
  out.keepAliveMs = checkMs(options.keepAliveMs, "keepAliveMs", where);
  out.disposeTimeoutMs = checkMs(options.disposeTimeoutMs, "disposeTimeoutMs", where);
  if (options.dependsOn !== undefined) out.dependsOn = checkDependencyList(options.dependsOn, where);
  if (options.dispose !== undefined) {
    if (typeof options.dispose !== "function") {
      throw new ConfigurationError(`${where}: dispose must be a function; got ${typeof options.dispose}.`);
    }
    out.dispose = options.dispose;
  }
  return out;
}

/** Validate a two-level dependency list (outer sequential, inner parallel); a third level is rejected. */
export function checkDependencyList(list: unknown, where: string): DepStep[] {
  if (!Array.isArray(list)) {
    throw new ConfigurationError(`${where}: dependsOn must be an array; got ${String(list)}.`);
  }
  return list.map((item: unknown, i): DepStep => {
    if (!Array.isArray(item)) return { parallel: false, token: checkToken(item, `${where} dependsOn[${i}]`) };
    return {
      parallel: true,
      tokens: item.map((inner: unknown, j) => {
        if (Array.isArray(inner)) {
          throw new ConfigurationError(
            `${where}: dependsOn[${i}][${j}] is a nested array [${inner.map(tokenName).join(", ")}]; ` +
              `only two levels are allowed (outer list in order, inner arrays in parallel).`,
          );
        }
        return checkToken(inner, `${where} dependsOn[${i}][${j}]`);
      }),
    };
  });
}
