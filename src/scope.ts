import type { Container } from "./container.js";
import { ScopeClosedError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { Token } from "./tokens.js";
import { checkMs } from "./internal/timer.js";
import { isPromise } from "./internal/maybe.js";
import type { InstanceRecord } from "./engine/model.js";
import { giveUpAll, HeldRefs } from "./engine/holders.js";
import { acquire, acquireAllFor, acquireFor, lookupFor } from "./engine/resolve.js";
import { creationRunning } from "./engine/own-scope.js";
import { releaseHeld, releaseOne } from "./engine/release.js";
import { TaskGroup, type GroupKind } from "./tasks/task-group.js";
import type { TaskImpl } from "./tasks/task-impl.js";

/** @internal */
export type ScopeKind = GroupKind;

/** The DI fields only some scopes need (an instance's own scope), made on first write. */
class ScopeExtra {
  onFailure: ((error: unknown) => void) | undefined = undefined;
  ownerRecord: InstanceRecord | undefined = undefined;
  madeBy: InstanceRecord | undefined = undefined;
}
/**
 * A scope holds references to service instances and runs tasks; closing it ends both, in order.
 * Create one per request with `container.createScope()`, or run a body in one with `withScope`.
 *
 * @example
 * ```ts
 * await using scope = container.createScope("request");
 * const handler = await scope.resolve(Handler);
 * scope.spawn(async (signal) => audit(signal), { awaited: false });
 * ```
 */
export class Scope extends TaskGroup {
  declare readonly parent: Scope | undefined;
  /** @internal What this scope holds for the engine: references, scoped instances, pending resolves. */
  readonly held = new HeldRefs();
  /** The rarely used fields, below, made on first write. */
  private x: ScopeExtra | undefined = undefined;

  /** @internal Use `container.createScope()`, `scope.createScope()` or `scope.fork()`. */
  constructor(
    readonly container: Container,
    parent: Scope | undefined,
    name: string | undefined,
    kind: ScopeKind,
  ) {
    super(parent, name ?? (kind === "root" ? container.name : undefined), kind);
  }

  protected override get logger(): Logger {
    return this.container.logger;
  }

  private get extra(): ScopeExtra {
    return (this.x ??= new ScopeExtra());
  }
  /** @internal Instance scopes route a bubbling error to their instance instead of only cancelling. */
  get onFailure(): ((error: unknown) => void) | undefined {
    return this.x?.onFailure;
  }
  /** @internal */
  set onFailure(v: ((error: unknown) => void) | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.onFailure = v;
  }
  /** @internal For an instance's own scope: that instance. */
  get ownerRecord(): InstanceRecord | undefined {
    return this.x?.ownerRecord;
  }
  /** @internal */
  set ownerRecord(v: InstanceRecord | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.ownerRecord = v;
  }
  /** @internal The creation whose code made this scope (a `withScope` in a factory): its resolves are its. */
  get madeBy(): InstanceRecord | undefined {
    return this.x?.madeBy;
  }
  /** @internal */
  set madeBy(v: InstanceRecord | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.madeBy = v;
  }

  // ----- dependency injection -------------------------------------------------------------------------

  /**
   * Resolve a token: +1 reference held by this scope until `release` or `close`.
   *
   * @example
   * ```ts
   * const db = await scope.resolve<Database>("db", { timeoutMs: 5000 });
   * ```
   */
  resolve<T>(token: Token<T>, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T> {
    const t = typeof token;
    if (
      options === undefined &&
      this.state === "open" &&
      (t === "function" || t === "string" || t === "symbol")
    ) {
      // Fast path: a plain token needs no check, an open scope no assertion, no options no signal.
      try {
        const value = acquire(this, token, this, undefined, false, undefined);
        return isPromise(value) ? (value as Promise<T>) : Promise.resolve(value as T);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    try {
      this.assertOpen("resolve");
      const value = acquireFor(this, token, options);
      return isPromise(value) ? (value as Promise<T>) : Promise.resolve(value as T);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Resolve every provider registered for a token, in registration order; one reference each. All or
   * nothing: when one fails, the references taken for the others are dropped again (last first) and it
   * rejects with that failure.
   *
   * @example
   * ```ts
   * const plugins = await scope.resolveAll<Plugin>("plugin");
   * ```
   */
  resolveAll<T>(token: Token<T>): Promise<T[]> {
    try {
      this.assertOpen("resolve");
      return acquireAllFor(this, token) as Promise<T[]>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * The instance if it is ready now (+1 reference), else `undefined`. Never creates, never waits.
   *
   * @example
   * ```ts
   * const cache = scope.lookup(Cache); // undefined unless someone already started it
   * ```
   */
  lookup<T>(token: Token<T>): T | undefined {
    this.assertOpen("lookup");
    return lookupFor(this, token) as T | undefined;
  }

  /**
   * Drop one reference to a token; settles after the disposal it triggers (at once with `keepAliveMs`).
   * Releasing what this scope does not hold is a no-op.
   *
   * @example
   * ```ts
   * await scope.release("db");
   * ```
   */
  release(token: Token): Promise<void> {
    try {
      return releaseOne(this, token);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * A child scope (one per request): closed before its parent; its errors do not cancel this scope.
   *
   * @example
   * ```ts
   * const request = container.createScope("GET /notes");
   * ```
   */
  createScope(name?: string): Scope {
    return this.addChild(name, "child");
  }

  /**
   * A child task scope whose errors reach only whoever awaits or closes it; it ends cleanly when this
   * scope is cancelled.
   *
   * @example
   * ```ts
   * const f = scope.fork({ timeoutMs: 100 });
   * f.spawn(work); f.finalize(); await f.done;
   * ```
   */
  fork(options?: { name?: string; timeoutMs?: number }): Scope {
    const ms = checkMs(options?.timeoutMs, "timeoutMs", "fork");
    const child = this.addChild(options?.name, "fork");
    if (ms !== undefined) child.timeoutMs = ms;
    return child;
  }

  /**
   * Run `body` in a new child scope, then close it: returns the body's value, or rejects by the error policy.
   *
   * @example
   * ```ts
   * const n = await scope.withScope(async (s) => (await s.resolve(Repo)).count(), { timeoutMs: 1000 });
   * ```
   */
  withScope<R>(
    body: (scope: Scope) => Promise<R> | R,
    options?: { name?: string; timeoutMs?: number },
  ): Promise<R> {
    let child: Scope;
    try {
      if (typeof body !== "function") throw new TypeError("withScope(body): body must be a function.");
      const ms = checkMs(options?.timeoutMs, "timeoutMs", "withScope");
      child = this.createScope(options?.name);
      if (ms !== undefined) child.timeoutMs = ms;
    } catch (err) {
      return Promise.reject(err);
    }
    return child.runBody(body);
  }

  // ----- internals ------------------------------------------------------------------------------------

  /** @internal Throw `ScopeClosedError` unless the scope accepts new work (naming a closed container). */
  override assertOpen(what: string): void {
    const state = this.state;
    if (state !== "open") {
      const rootState = this.container.root.state;
      const closed = rootState !== "open" ? rootState : undefined;
      throw new ScopeClosedError(this.name, what, closed ?? state, closed && this.container.name);
    }
  }

  /** @internal Live child scopes, for inspection. */
  override childScopes(): Scope[] {
    return super.childScopes() as Scope[];
  }

  /** @internal Spawn the task that runs a `useService` function; its outcome is handled by the resolver. */
  spawnService(name: string, fn: () => Promise<void>): TaskImpl<void> {
    const task = this.spawnTask(fn, { name }, false);
    task.observed = true;
    return task;
  }

  /** Close step 1 (and a cancel): give up the resolves in flight. */
  protected override onClosing(): void {
    if (this.held.pendingWaiters?.size) giveUpAll(this.held, this.abortReason());
  }

  /** Close step 5: drop every reference, disposing what nobody else holds; the root then ends the container. */
  protected override releaseAll(errors: unknown[]): void | Promise<void> {
    if (this.kind !== "root") return releaseHeld(this, errors);
    return this.releaseRoot(errors);
  }

  private async releaseRoot(errors: unknown[]): Promise<void> {
    await releaseHeld(this, errors);
    await this.container.afterRootReleased(errors);
  }

  /** A failed task of an instance's own scope goes to its instance; elsewhere it cancels the scope. */
  protected override taskFailed(error: unknown): void {
    if (this.onFailure) {
      this.onFailure(error);
      return;
    }
    super.taskFailed(error);
  }

  private addChild(name: string | undefined, kind: ScopeKind): Scope {
    this.assertOpen(kind === "fork" ? "fork" : "create a scope");
    const child = new Scope(this.container, this, name, kind);
    if (this.container.starting > 0) child.madeBy = creationRunning();
    this.linkChild(child);
    return child;
  }
}
