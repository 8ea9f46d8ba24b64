import type { DependencyContainer } from "tsyringe";
import { decoratedLifetime } from "./decorators.js";
import { snapshot, type GraphSnapshot } from "./inspect.js";
import { Lifetime } from "./lifetimes.js";
import { consoleLogger, type Logger } from "./logger.js";
import { createRegistration, type Provider, type RegisterOptions } from "./provider.js";
import { Scope } from "./scope.js";
import { InstanceScope } from "./instance-scope.js";
import { checkToken, tokenName, type Constructor, type Token } from "./tokens.js";
import type { InstanceRecord, OwnScope, Registration } from "./engine/model.js";
import { serviceStarter, type ServiceStarter } from "./engine/starter.js";
import { LinkedList } from "./internal/linked-list.js";
import { tsyringeLifetime } from "./internal/metadata.js";
import { checkMs } from "./internal/timer.js";
import { Orphans } from "./container/core.js";
import { Registry } from "./container/registry.js";

/**
 * The options of a {@link Container}.
 *
 * @example
 * ```ts
 * new Container({ name: "app", logger: pino(), defaultDisposeTimeoutMs: 10_000 });
 * ```
 */
export interface ContainerOptions {
  name?: string;
  /** See classes registered by decorators (default true). */
  useDecorated?: boolean;
  /** Asked for tokens this container does not know. */
  fallback?: DependencyContainer;
  /** Default: console for warn and error. */
  logger?: Logger;
  /** `disposeTimeoutMs` of every registration that sets none (default: no limit). */
  defaultDisposeTimeoutMs?: number;
}

/**
 * The dependency-injection container: registrations, shared instances, and the root scope that holds
 * singletons and is closed last.
 *
 * @example
 * ```ts
 * const container = new Container();
 * container.register("db", { useFactory: () => connect() });
 * await using scope = container.createScope("request");
 * const db = await scope.resolve("db");
 * await container.close();
 * ```
 */
export class Container implements AsyncDisposable {
  readonly name: string;
  readonly logger: Logger;
  readonly defaultDisposeTimeoutMs: number | undefined;
  /** Holds singletons; closed last. */
  readonly root: Scope;
  /** @internal Shared and singleton instances by registration (one live record each). */
  readonly instances = new Map<Registration, InstanceRecord>();
  /** @internal Every record that is starting, ready or releasing. */
  readonly live = new LinkedList<InstanceRecord>();
  /** @internal How many instances are starting (none: no resolve can be part of a creation's cycle). */
  starting = 0;
  /** @internal */
  readonly serviceStarter: ServiceStarter | undefined;
  private readonly registry: Registry;
  private readonly orphans: Orphans;

  constructor(options?: ContainerOptions) {
    const o = options ?? {};
    this.name = o.name ?? "container";
    this.logger = o.logger ?? consoleLogger;
    this.defaultDisposeTimeoutMs = checkMs(o.defaultDisposeTimeoutMs, "defaultDisposeTimeoutMs", "Container");
    this.registry = new Registry(this, o.useDecorated ?? true, o.fallback);
    this.orphans = new Orphans(this);
    this.serviceStarter = serviceStarter();
    this.root = new Scope(this, undefined, this.name, "root");
  }

  /**
   * Register a provider for a token. Registering a token again adds a provider: `resolve` uses the last,
   * `resolveAll` all of them in order.
   *
   * @example
   * ```ts
   * container.register(Repo, { useClass: Repo }, { lifetime: Lifetime.Scoped });
   * ```
   */
  register<T>(token: Token<T>, provider: Provider<T>, options?: RegisterOptions<T>): this {
    this.root.assertOpen("register");
    const t = checkToken(token, "register");
    const cls = (provider as { useClass?: unknown } | null)?.useClass;
    const classDefault =
      typeof cls === "function"
        ? (decoratedLifetime(cls) ?? tsyringeLifetime(cls as Constructor))
        : undefined;
    const reg = createRegistration(
      [t],
      provider,
      options as RegisterOptions<unknown> | undefined,
      classDefault ?? Lifetime.Shared,
      `register(${tokenName(t)})`,
    );
    this.registry.add(t, reg);
    return this;
  }

  /**
   * Whether `resolve(token)` would find a provider (registered, decorated, constructible or in the fallback).
   *
   * @example
   * ```ts
   * if (!container.isRegistered("db")) container.register("db", { useClass: Database });
   * ```
   */
  isRegistered(token: Token): boolean {
    return this.findRegistration(checkToken(token, "isRegistered")) !== undefined;
  }

  /**
   * A child scope of the root, typically one per request.
   *
   * @example
   * ```ts
   * await using scope = container.createScope(`${req.method} ${req.url}`);
   * ```
   */
  createScope(name?: string): Scope {
    return this.root.createScope(name);
  }

  /**
   * Resolve in the root scope: the root holds the reference until the container closes.
   *
   * @example
   * ```ts
   * const config = await container.resolve(Config);
   * ```
   */
  resolve<T>(token: Token<T>): Promise<T> {
    return this.root.resolve(token);
  }

  /**
   * Run `body` in a new child scope of the root and close it afterwards.
   *
   * @example
   * ```ts
   * const user = await container.withScope(async (s) => (await s.resolve(Users)).find(id));
   * ```
   */
  withScope<R>(
    body: (scope: Scope) => Promise<R> | R,
    options?: { name?: string; timeoutMs?: number },
  ): Promise<R> {
    return this.root.withScope(body, options);
  }

  /**
   * Live scopes and instances, with holders, refcounts, states and edges.
   *
   * @example
   * ```ts
   * console.log(toMermaid(container.inspect()));
   * ```
   */
  inspect(): GraphSnapshot {
    return snapshot(this);
  }

  /**
   * Close every scope (innermost first), then dispose what the root holds. Idempotent.
   *
   * @example
   * ```ts
   * await container.close();
   * ```
   */
  close(): Promise<void> {
    return this.root.close();
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ----- internals: the engine's view of the container (an EngineHost, structurally: no `implements`,
  // since the published declarations strip these @internal members) -----------------------------------

  /** @internal The registration `resolve(token)` uses, or undefined. */
  findRegistration(token: Token): Registration | undefined {
    return this.registry.find(token);
  }

  /** @internal Every registration for a token, in registration order (decorated ones first). */
  registrationsFor(token: Token, _forInjectAll = false): Registration[] {
    return this.registry.all(token);
  }

  /** @internal */
  canResolve(token: Token): boolean {
    return this.registry.find(token) !== undefined;
  }

  /** @internal Resolve through the tsyringe fallback container (its lifecycle, never disposed by us). */
  fallbackResolve(token: Token): unknown {
    return this.registry.fallbackResolve(token);
  }

  /** @internal Singletons, pinned by the root until it closes, in creation order. */
  rootPinned(): InstanceRecord[] {
    const out: InstanceRecord[] = [];
    for (const r of this.instances.values()) if (r.pinned) out.push(r);
    return out;
  }

  /** @internal A new own scope for an instance (a child of the root). */
  ownScope(name: string): OwnScope {
    return new InstanceScope(this, this.root, name, "instance");
  }

  /** @internal An error of a disposal nobody awaits (keep-alive expiry, a crashed orphan). */
  reportOrphan(error: unknown, name: string): void {
    this.orphans.report(error, name);
  }

  /** @internal Keep track of a release nobody awaits, so that the container's close waits for its report. */
  trackOrphan(release: Promise<void>): Promise<void> {
    return this.orphans.track(release);
  }

  /** @internal The root has dropped its references: flush keep-alives, wait for what still runs. */
  afterRootReleased(errors: unknown[]): Promise<void> {
    return this.orphans.afterRootReleased(errors);
  }
}
