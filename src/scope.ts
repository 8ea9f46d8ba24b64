import type { Container } from "./container.js";
import { ConfigurationError, ScopeClosedError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { Registration } from "./registration.js";
import type { Token } from "./tokens.js";
import { checkMs } from "./internal/timer.js";
import type { InstanceRecord, Waiter } from "./internal/instance.js";
import { isPromise } from "./internal/maybe.js";
import {
  acquire,
  acquireFromScope,
  creationRunning,
  lookupInScope,
  resolveAllFromScope,
} from "./internal/resolve.js";
import { dropAllRefs, releaseFromScope } from "./internal/teardown.js";
import { TaskGroup, type GroupKind } from "./tasks/task-group.js";
import type { TaskImpl } from "./tasks/task-impl.js";

/** @internal */
export type ScopeKind = GroupKind;

/** Past this many scoped instances, a scope looks them up through a map rather than a scan. */
const SCOPED_SCAN = 8;

/** The DI fields only some scopes need (pending resolves, an instance's own scope), made on first write. */
class ScopeExtra {
  pendingWaiters: Set<Waiter> | undefined = undefined;
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
  /** References this scope holds, in acquisition order (one entry per instance held; the count is in it). */
  private refs: InstanceRecord | InstanceRecord[] | undefined = undefined;
  /** Scoped instances that belong to this scope: a short list, indexed by a map once it grows. */
  private scoped: InstanceRecord | InstanceRecord[] | undefined = undefined;
  private scopedIndex: Map<Registration, InstanceRecord> | undefined = undefined;
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
  /** @internal Resolves in flight, given up when the scope closes. */
  get pendingWaiters(): Set<Waiter> | undefined {
    return this.x?.pendingWaiters;
  }
  /** @internal */
  set pendingWaiters(v: Set<Waiter> | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.pendingWaiters = v;
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
      const value = acquireFromScope(this, token, options);
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
      return resolveAllFromScope(this, token) as Promise<T[]>;
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
    return lookupInScope(this, token) as T | undefined;
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
      return releaseFromScope(this, token);
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

  /** @internal The scoped instance of `reg` in this scope, if any. */
  findScoped(reg: Registration): InstanceRecord | undefined {
    const scoped = this.scoped;
    if (scoped === undefined) return undefined;
    if (!Array.isArray(scoped)) return scoped.reg === reg ? scoped : undefined;
    if (this.scopedIndex !== undefined) return this.scopedIndex.get(reg);
    for (let i = 0; i < scoped.length; i++) if (scoped[i]!.reg === reg) return scoped[i];
    return undefined;
  }

  /** @internal Register a scoped instance of this scope (none of its registration is there). */
  addScoped(record: InstanceRecord): void {
    const scoped = this.scoped;
    if (scoped === undefined) this.scoped = record;
    else if (!Array.isArray(scoped)) this.scoped = [scoped, record];
    else {
      scoped.push(record);
      if (this.scopedIndex !== undefined) this.scopedIndex.set(record.reg, record);
      else if (scoped.length > SCOPED_SCAN) this.scopedIndex = new Map(scoped.map((r) => [r.reg, r]));
    }
  }

  /** @internal Forget a scoped instance (failed, or released), so that the next resolve starts afresh. */
  removeScoped(record: InstanceRecord): void {
    const scoped = this.scoped;
    if (scoped === record) this.scoped = undefined;
    else if (Array.isArray(scoped)) {
      const i = scoped.indexOf(record);
      if (i >= 0) scoped.splice(i, 1);
      if (this.scopedIndex?.get(record.reg) === record) this.scopedIndex.delete(record.reg);
    }
  }

  /** @internal Take every scoped instance, in creation order (closing). */
  takeScoped(): InstanceRecord[] {
    const scoped = this.scoped;
    this.scoped = undefined;
    this.scopedIndex = undefined;
    return scoped === undefined ? [] : Array.isArray(scoped) ? scoped : [scoped];
  }

  /** @internal Note that this scope now holds `record` (it held none of it before). */
  addRefEntry(record: InstanceRecord): void {
    const refs = this.refs;
    if (refs === undefined) this.refs = record;
    else if (!Array.isArray(refs)) this.refs = [refs, record];
    else refs.push(record);
  }

  /** @internal This scope no longer holds `record`. */
  removeRefEntry(record: InstanceRecord): void {
    const refs = this.refs;
    if (refs === record) this.refs = undefined;
    else if (Array.isArray(refs)) {
      const i = refs.lastIndexOf(record);
      if (i >= 0) refs.splice(i, 1);
    }
  }

  /** @internal What this scope holds, in acquisition order. */
  refList(): InstanceRecord[] {
    const refs = this.refs;
    return refs === undefined ? [] : Array.isArray(refs) ? refs : [refs];
  }

  /** @internal Take every held record, in acquisition order (closing). */
  takeRefs(): InstanceRecord[] {
    const refs = this.refList();
    this.refs = undefined;
    return refs;
  }

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
    if (this.pendingWaiters?.size) this.giveUpWaiters(this.abortReason());
  }

  /** Close step 5: drop every reference, disposing what nobody else holds; the root then ends the container. */
  protected override releaseAll(errors: unknown[]): void | Promise<void> {
    if (this.kind !== "root") return dropAllRefs(this, errors);
    return this.releaseRoot(errors);
  }

  private async releaseRoot(errors: unknown[]): Promise<void> {
    await dropAllRefs(this, errors);
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

  private giveUpWaiters(reason: unknown): void {
    if (!this.pendingWaiters) return;
    for (const w of [...this.pendingWaiters]) giveUp(w, reason);
  }
}

/**
 * The scope a `useService` function runs in: a `Scope` that can publish the instance and learn when its
 * last holder has gone.
 *
 * @example
 * ```ts
 * container.register("conn", {
 *   useService: async (svc) => {
 *     const conn = await connect();
 *     svc.register(conn);
 *     await svc.noMoreDependents();
 *     await conn.close();
 *   },
 * });
 * ```
 */
export interface ServiceScope<T> extends Scope {
  /** Publish the instance: every waiter receives it. Call exactly once. */
  register(value: T): void;
  /** Resolves when the last holder has released the instance (or the container closes). */
  noMoreDependents(): Promise<void>;
}

/** @internal The own scope of an instance: background tasks, and the `ServiceScope` of `useService`. */
export class InstanceScope extends Scope implements ServiceScope<unknown> {
  registerHook: ((value: unknown) => void) | undefined;
  noMoreDependentsHook: (() => Promise<void>) | undefined;

  register(value: unknown): void {
    if (!this.registerHook) {
      throw new ConfigurationError(
        `register() is only available in a useService function (scope ${this.name}).`,
      );
    }
    this.registerHook(value);
  }

  noMoreDependents(): Promise<void> {
    if (!this.noMoreDependentsHook) {
      return Promise.reject(
        new ConfigurationError(
          `noMoreDependents() is only available in a useService function (scope ${this.name}).`,
        ),
      );
    }
    return this.noMoreDependentsHook();
  }
}

// Giving up cascades down a chain of starting instances (an abandoned creation gives up what it waited for,
// and so on): one loop over an explicit stack, however long the chain; a give-up made meanwhile joins it.
let givingUp = false;
const giveUpWaiters: Waiter[] = [];
const giveUpReasons: unknown[] = [];

/** @internal Give up a pending acquisition: it rejects with `reason`. */
export function giveUp(waiter: Waiter, reason: unknown): void {
  if (waiter.settled) return;
  giveUpWaiters.push(waiter);
  giveUpReasons.push(reason);
  if (givingUp) return;
  givingUp = true;
  try {
    while (giveUpWaiters.length > 0) giveUpNow(giveUpWaiters.pop()!, giveUpReasons.pop());
  } finally {
    givingUp = false;
    giveUpWaiters.length = 0;
    giveUpReasons.length = 0;
  }
}

function giveUpNow(waiter: Waiter, reason: unknown): void {
  if (waiter.settled) return;
  waiter.settled = true;
  waiter.cleanup();
  waiter.reject(reason);
  const record = waiter.record;
  const waiters = record.waiters;
  if (waiters) {
    waiters.delete(waiter);
    if (waiters.size === 0 && record.state === "starting") abandonCreation(record, reason);
  }
}

/** @internal Every waiter of a starting instance has gone: abort its creation (SEMANTICS 2.4). */
export function abandonCreation(record: InstanceRecord, reason: unknown): void {
  if (record.abandoned) return;
  record.abandoned = true;
  record.abandonReason = reason;
  record.unmap();
  if (record.ctl && !record.ctl.signal.aborted) {
    try {
      record.ctl.abort(reason);
    } catch {
      // listeners of a factory's signal are the factory's business
    }
  }
  // Last to first onto the stack (we are inside giveUp's loop), so that the first is given up first.
  const waiters = record.childWaiters ? [...record.childWaiters] : [];
  for (let i = waiters.length - 1; i >= 0; i--) giveUp(waiters[i]!, reason);
}
