import type { DependencyContainer } from "tsyringe";
import { LinkedList } from "./internal/linked-list.js";
import { decoratedFor, decoratedLifetime, decoratedVersion, type DecoratedService } from "./decorators.js";
import { snapshot, type GraphSnapshot } from "./inspect.js";
import { Lifetime } from "./lifetimes.js";
import { consoleLogger, logSafely, type Logger } from "./logger.js";
import { createRegistration, type Provider, type RegisterOptions } from "./provider.js";
import { Registration, type EngineHost, type InstanceRecord, type OwnScope } from "./engine/model.js";
import { Scope } from "./scope.js";
import { InstanceScope } from "./instance-scope.js";
import { serviceStarter, type ServiceStarter } from "./engine/starter.js";
import { checkToken, tokenName, type Constructor, type Token } from "./tokens.js";
import { isConstructible, tsyringeLifetime } from "./internal/metadata.js";
import { pushAll } from "./internal/maybe.js";
import { releaseOrphan } from "./engine/release.js";
import { cancelTimer, checkMs, startTimer, type Timer } from "./internal/timer.js";

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
export class Container implements AsyncDisposable, EngineHost {
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
  private readonly registry = new Map<Token, Registration[]>();
  private readonly cache = new Map<Token, Registration | null>();
  private cacheVersion = -1;
  private readonly adopted = new Map<DecoratedService | Constructor | Token, Registration>();
  private readonly useDecorated: boolean;
  private readonly fallback: DependencyContainer | undefined;
  private readonly orphanErrors: unknown[] = [];
  /** Releases nobody awaits (keep-alive expiry, abandoned creations, crashes), until they have reported. */
  private readonly orphanReleases = new Set<Promise<void>>();

  constructor(options?: ContainerOptions) {
    const o = options ?? {};
    this.name = o.name ?? "container";
    this.logger = o.logger ?? consoleLogger;
    this.defaultDisposeTimeoutMs = checkMs(o.defaultDisposeTimeoutMs, "defaultDisposeTimeoutMs", "Container");
    this.useDecorated = o.useDecorated ?? true;
    this.fallback = o.fallback;
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
    reg.host = this;
    const list = this.registry.get(t);
    if (list) list.push(reg);
    else this.registry.set(t, [reg]);
    this.cache.clear();
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

  // ----- internals ------------------------------------------------------------------------------------

  /** @internal The registration `resolve(token)` uses, or undefined. */
  findRegistration(token: Token): Registration | undefined {
    const v = decoratedVersion();
    if (this.cacheVersion !== v) {
      this.cache.clear();
      this.cacheVersion = v;
    }
    const hit = this.cache.get(token);
    if (hit !== undefined) return hit ?? undefined;
    const reg = this.lookup(token);
    this.cache.set(token, reg ?? null);
    return reg;
  }

  private lookup(token: Token): Registration | undefined {
    const local = this.registry.get(token);
    if (local && local.length) return local[local.length - 1];
    if (this.useDecorated) {
      const decorated = decoratedFor(token);
      if (decorated && decorated.length) return this.adopt(decorated[decorated.length - 1]!);
    }
    if (typeof token === "function") {
      const lifetime = tsyringeLifetime(token);
      if (lifetime !== undefined || isConstructible(token)) {
        return this.adoptClass(token, lifetime ?? Lifetime.Transient);
      }
    }
    if (this.fallback && this.fallback.isRegistered(token as never, true)) {
      let reg = this.adopted.get(token);
      if (!reg) {
        reg = new Registration([token], "fallback", Lifetime.Transient);
        reg.host = this;
        this.adopted.set(token, reg);
      }
      return reg;
    }
    return undefined;
  }

  private adopt(d: DecoratedService): Registration {
    let reg = this.adopted.get(d);
    if (!reg) {
      reg = createRegistration(
        d.tokens,
        { useClass: d.cls },
        d.options,
        Lifetime.Shared,
        `@scopedService ${d.cls.name}`,
      );
      reg.host = this;
      this.adopted.set(d, reg);
    }
    return reg;
  }

  private adoptClass(cls: Constructor, lifetime: Lifetime): Registration {
    let reg = this.adopted.get(cls);
    if (!reg) {
      reg = createRegistration([cls], { useClass: cls }, { lifetime }, lifetime, cls.name);
      reg.host = this;
      this.adopted.set(cls, reg);
    }
    return reg;
  }

  /** @internal Every registration for a token, in registration order (decorated ones first). */
  registrationsFor(token: Token, _forInjectAll = false): Registration[] {
    const out: Registration[] = [];
    if (this.useDecorated) for (const d of decoratedFor(token) ?? []) out.push(this.adopt(d));
    pushAll(out, this.registry.get(token) ?? []);
    if (out.length === 0) {
      const reg = this.findRegistration(token);
      if (reg) out.push(reg);
    }
    return out;
  }

  /** @internal */
  canResolve(token: Token): boolean {
    return this.findRegistration(token) !== undefined;
  }

  /** @internal Resolve through the tsyringe fallback container (its lifecycle, never disposed by us). */
  fallbackResolve(token: Token): unknown {
    return this.fallback!.resolve(token as never);
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
    if (this.root.state === "closed") logSafely(this.logger, "error", `Disposing ${name} failed`, error);
    else this.orphanErrors.push(error);
  }

  /** @internal Keep track of a release nobody awaits, so that the container's close waits for its report. */
  trackOrphan(release: Promise<void>): Promise<void> {
    this.orphanReleases.add(release);
    void release.then(() => this.orphanReleases.delete(release));
    return release;
  }

  /** @internal The root has dropped its references: flush keep-alives, wait for what still runs. */
  async afterRootReleased(errors: unknown[]): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const record of [...this.live]) {
      if (record.state === "ready" && record.refCount === 0 && record.keepAliveTimer !== undefined) {
        const r = releaseOrphan(record);
        if (r) pending.push(r);
      }
    }
    await Promise.all(pending);
    if (this.live.size || this.orphanReleases.size) {
      // What still starts or releases, and the reports of releases nobody awaits (a creation abandoned now
      // is released later): wait for all of it, bounded, so that its errors reach this close.
      let timer: Timer | undefined;
      let expired = false;
      const limit = new Promise<void>((resolve) => {
        timer = startTimer(Math.max(1000, this.defaultDisposeTimeoutMs ?? 0), () => {
          expired = true;
          resolve();
        });
      });
      while (!expired && (this.live.size || this.orphanReleases.size)) {
        const gone = [...this.live].map((r) => r.whenGone());
        await Promise.race([Promise.all([...gone, ...this.orphanReleases]), limit]);
      }
      cancelTimer(timer);
      for (const r of [...this.live]) {
        logSafely(
          this.logger,
          "warn",
          `${r.name} is still ${r.state} after the container closed (something still holds it)`,
        );
      }
    }
    pushAll(errors, this.orphanErrors.splice(0));
  }
}
