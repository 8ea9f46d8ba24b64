import { ConfigurationError } from "./errors.js";
import { isLifetime, Lifetime } from "./lifetimes.js";
import { checkToken, tokenName, type AnyToken, type Constructor, type Token } from "./tokens.js";
import type { Container } from "./container.js";
import type { Scope, ServiceScope } from "./scope.js";
import type { InstanceRecord } from "./internal/instance.js";
import { classParams, type ParamSpec } from "./internal/metadata.js";
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

/**
 * What a factory receives.
 *
 * @example
 * ```ts
 * container.register("cache", {
 *   useFactory: async (ctx) => new Cache(await ctx.resolve(Config), ctx.signal),
 * });
 * ```
 */
export interface FactoryContext {
  /** The resolved `dependsOn` tokens, flattened in declaration order. */
  deps: unknown[];
  /** Aborted when every requester has gone before the factory finished. */
  signal: AbortSignal;
  /**
   * The instance's own scope: spawn background tasks here. Resolves through it are the instance's own
   * requests (cycle-checked). First used once the instance is over (released, or its creation failed), it is
   * closed: every call throws `ScopeClosedError`.
   */
  scope: Scope;
  /**
   * A dynamic dependency: recorded as an edge, cycle-checked. Still pending when the instance is released, it
   * rejects with `CancelledError`; after the instance failed or was released, it rejects at once.
   */
  resolve<T>(token: Token<T>): Promise<T>;
}

/**
 * How a token is provided.
 *
 * @example
 * ```ts
 * container.register(Config, { useValue: config });
 * container.register("db", { useFactory: async () => connect() });
 * container.register("clock", { useExisting: SystemClock });
 * ```
 */
export type Provider<T> =
  | { useClass: Constructor<T> }
  | { useValue: T }
  | {
      /** Build the instance, sync or async; `ctx` gives its `dependsOn` values, signal, own scope and `resolve`. */
      useFactory: (ctx: FactoryContext) => T | Promise<T>;
    }
  | {
      /** asyncscope style: start, `svc.register(value)` once, `await svc.noMoreDependents()`, clean up, return. */
      useService: (svc: ServiceScope<T>) => Promise<void>;
    }
  | { useExisting: Token<T> };

/**
 * Options of `container.register`: service options plus a custom disposer.
 *
 * @example
 * ```ts
 * container.register("pool", { useFactory: () => new Pool() }, { dispose: (pool) => pool.end() });
 * ```
 */
export type RegisterOptions<T> = ServiceOptions & {
  /** Dispose the instance this way instead of its `[Symbol.asyncDispose]`, `[Symbol.dispose]` or `dispose()`. */
  dispose?: (value: T) => unknown;
};

export type ProviderKind = "class" | "value" | "factory" | "service" | "existing" | "fallback";

/** A normalized `dependsOn` step: one token, or several started in parallel. */
export type DepStep = { parallel: false; token: Token } | { parallel: true; tokens: Token[] };

let nextRegistrationId = 1;

/** One provider for one or more tokens, validated once. Internal. */
export class Registration {
  readonly id = nextRegistrationId++;
  readonly name: string;
  keepAliveMs = 0;
  disposeTimeoutMs: number | undefined;
  dependsOn: DepStep[] = [];
  dispose: ((value: unknown) => unknown) | undefined;
  cls: Constructor | undefined;
  value: unknown;
  factory: ((ctx: FactoryContext) => unknown) | undefined;
  service: ((svc: ServiceScope<unknown>) => Promise<void>) | undefined;
  existing: Token | undefined;
  /** How many instances of it are starting right now (a new one can only close a cycle if one is). */
  starting = 0;
  /** The container it belongs to; set when the container adopts it. */
  container!: Container;
  /** Its shared or singleton instance (also in `container.instances`, which keeps their order). */
  instance: InstanceRecord | undefined = undefined;
  private paramsCache: ParamSpec[] | undefined;

  constructor(
    readonly tokens: Token[],
    readonly kind: ProviderKind,
    public lifetime: Lifetime,
  ) {
    this.name = tokenName(tokens[0]);
  }

  /** Constructor parameters of a class provider, read lazily (a `delay()` may not be resolvable yet). */
  get params(): ParamSpec[] {
    return (this.paramsCache ??= classParams(this.cls!));
  }
}

const PROVIDER_KEYS = ["useClass", "useValue", "useFactory", "useService", "useExisting"] as const;

/** Validate a provider and its options into a Registration; every problem is a `ConfigurationError`. */
export function createRegistration(
  tokens: Token[],
  provider: unknown,
  options: RegisterOptions<unknown> | undefined,
  defaultLifetime: Lifetime,
  where: string,
): Registration {
  if (provider === null || typeof provider !== "object") {
    throw new ConfigurationError(
      `${where}: the provider must be an object with one of ${PROVIDER_KEYS.join(", ")}; got ${String(provider)}.`,
    );
  }
  const keys = PROVIDER_KEYS.filter((k) => k in provider);
  if (keys.length !== 1) {
    throw new ConfigurationError(
      `${where}: the provider must have exactly one of ${PROVIDER_KEYS.join(", ")}; ` +
        (keys.length ? `it has ${keys.join(" and ")}.` : "it has none."),
    );
  }
  const p = provider as Record<string, unknown>;
  const opts = checkOptions(options, where);
  let reg: Registration;
  switch (keys[0]) {
    case "useClass": {
      if (typeof p.useClass !== "function") {
        throw new ConfigurationError(`${where}: useClass must be a class; got ${typeof p.useClass}.`);
      }
      reg = new Registration(tokens, "class", opts.lifetime ?? defaultLifetime);
      reg.cls = p.useClass as Constructor;
      break;
    }
    case "useValue":
      reg = new Registration(tokens, "value", Lifetime.Singleton);
      reg.value = p.useValue;
      return reg;
    case "useFactory":
      if (typeof p.useFactory !== "function") {
        throw new ConfigurationError(`${where}: useFactory must be a function; got ${typeof p.useFactory}.`);
      }
      reg = new Registration(tokens, "factory", opts.lifetime ?? defaultLifetime);
      reg.factory = p.useFactory as (ctx: FactoryContext) => unknown;
      break;
    case "useService":
      if (typeof p.useService !== "function") {
        throw new ConfigurationError(`${where}: useService must be a function; got ${typeof p.useService}.`);
      }
      reg = new Registration(tokens, "service", opts.lifetime ?? defaultLifetime);
      reg.service = p.useService as (svc: ServiceScope<unknown>) => Promise<void>;
      break;
    default:
      reg = new Registration(tokens, "existing", Lifetime.Transient);
      reg.existing = checkToken(p.useExisting, `${where} useExisting`);
      return reg;
  }
  if (opts.keepAliveMs !== undefined && reg.lifetime !== Lifetime.Shared) {
    throw new ConfigurationError(
      `${where}: keepAliveMs applies to shared services only; ${reg.name} is ${reg.lifetime}.`,
    );
  }
  reg.keepAliveMs = opts.keepAliveMs ?? 0;
  reg.disposeTimeoutMs = opts.disposeTimeoutMs;
  reg.dependsOn = opts.dependsOn ?? [];
  reg.dispose = opts.dispose;
  return reg;
}

interface CheckedOptions {
  lifetime?: Lifetime;
  keepAliveMs?: number;
  disposeTimeoutMs?: number;
  dependsOn?: DepStep[];
  dispose?: (value: unknown) => unknown;
}

/** Validate service options; shared by `register` and `@scopedService`. */
export function checkOptions(options: RegisterOptions<unknown> | undefined, where: string): CheckedOptions {
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

export type { AnyToken };
