import { ConfigurationError } from "./errors.js";
import { Lifetime } from "./lifetimes.js";
import { checkToken, type Constructor, type Token } from "./tokens.js";
import type { Scope } from "./scope.js";
import type { ServiceScope } from "./instance-scope.js";
import { checkOptions, type ServiceOptions } from "./options.js";
import { Registration, type EngineFactoryContext, type OwnScope } from "./engine/model.js";

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

const PROVIDER_KEYS = ["useClass", "useValue", "useFactory", "useService", "useExisting"] as const;

/** @internal Validate a provider and its options into a Registration; every problem is a `ConfigurationError`. */
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
      reg.factory = p.useFactory as unknown as (ctx: EngineFactoryContext) => unknown;
      break;
    case "useService":
      if (typeof p.useService !== "function") {
        throw new ConfigurationError(`${where}: useService must be a function; got ${typeof p.useService}.`);
      }
      reg = new Registration(tokens, "service", opts.lifetime ?? defaultLifetime);
      reg.service = p.useService as unknown as (svc: OwnScope) => Promise<void>;
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
