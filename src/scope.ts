import type { Container } from "./container.js";
import { CancelledError, ConfigurationError, ScopeClosedError, TimeoutError } from "./errors.js";
import { logSafely } from "./logger.js";
import type { SpawnOptions, Task } from "./task.js";
import type { Token } from "./tokens.js";
import { cancelTimer, checkMs, startTimer, type Timer } from "./internal/timer.js";
import { currentAmbient } from "./internal/ambient.js";
import type { InstanceRecord } from "./engine/model.js";
import { giveUpAll, HeldRefs } from "./engine/holders.js";
import {
  combineErrors,
  deferred,
  isPromise,
  noop,
  pushAll,
  type Deferred,
  type MaybePromise,
} from "./internal/maybe.js";
import { acquire, acquireFor, lookupFor, acquireAllFor } from "./engine/resolve.js";
import { creationRunning } from "./engine/own-scope.js";
import { addAbortCallback, removeAbortCallback } from "./internal/on-abort.js";
import { releaseHeld, releaseOne } from "./engine/release.js";
import { isCancellation, TaskImpl, type TaskOwner } from "./internal/task-impl.js";

/** @internal */
export type ScopeKind = "root" | "child" | "fork" | "instance";

let nextScopeId = 1;
const RESOLVED = Promise.resolve();
/** The steps of a cancellation (see `Scope.runCancels`). */
const CANCEL = 0;
const ABORT = 1;
const CLOSE = 2;

// `done` is a promise whose `then` marks the scope's outcome as observed (SEMANTICS 9.4: a child's error
// is reported once, to whoever awaits or closes it).
class DonePromise extends Promise<void> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  onObserve: (() => void) | undefined;
  override then<R1 = void, R2 = never>(
    onFulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.onObserve?.();
    return super.then(onFulfilled, onRejected);
  }
}

/** The fields only some scopes need (tasks, timers, errors, signals), made on first write. */
class ScopeExtra {
  onFailure: ((error: unknown) => void) | undefined = undefined;
  ownerRecord: InstanceRecord | undefined = undefined;
  madeBy: InstanceRecord | undefined = undefined;
  ctl: AbortController | undefined = undefined;
  _timeoutMs: number | undefined = undefined;
  timer: Timer | undefined = undefined;
  tasks: Set<TaskImpl<unknown>> | undefined = undefined;
  taskChange: Deferred<void> | undefined = undefined;
  cancelReason: unknown = undefined;
  /** The error the close rejects with first (any value: the box says there is one); `own`: a task's. */
  primary: { error: unknown; own?: boolean } | undefined = undefined;
  extraErrors: unknown[] | undefined = undefined;
  donePromise: DonePromise | undefined = undefined;
  taskOwner: TaskOwner | undefined = undefined;
  pendingOutcome: Deferred<void> | undefined = undefined;
  childErrors: unknown[] | undefined = undefined;
  awaitedRunning = 0;
  taskSeq = 0;
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
export class Scope implements AsyncDisposable {
  /** @internal */
  readonly id: number;
  /** @internal */
  readonly kind: ScopeKind;
  /** @internal How many scopes are above this one (the root's is 0). */
  readonly depth: number;
  /** @internal What this scope holds for the engine: references, scoped instances, pending resolves. */
  readonly held = new HeldRefs();
  /** @internal Whether someone took this scope's outcome (close() or done). */
  observed = false;

  private _state: "open" | "closing" | "closed" = "open";
  private readonly givenName: string | undefined;
  private readonly createdAt = performance.now();
  /** Child scopes still open (or closed with an error nobody took yet): a list linked through the children. */
  private firstChild: Scope | undefined = undefined;
  private lastChild: Scope | undefined = undefined;
  private prevSibling: Scope | undefined = undefined;
  private nextSibling: Scope | undefined = undefined;
  private finalized = false;
  private cancelled = false;
  private closing: Promise<void> | undefined = undefined;
  /** The rarely used fields, below, made on first write. */
  private x: ScopeExtra | undefined = undefined;

  /** @internal Use `container.createScope()`, `scope.createScope()` or `scope.fork()`. */
  constructor(
    readonly container: Container,
    readonly parent: Scope | undefined,
    name: string | undefined,
    kind: ScopeKind,
  ) {
    this.id = nextScopeId++;
    this.kind = kind;
    this.depth = parent === undefined ? 0 : parent.depth + 1;
    this.givenName = name ?? (kind === "root" ? container.name : undefined);
  }

  /** The name given at creation, else `scope-<n>` (or `fork-<n>`). */
  get name(): string {
    return this.givenName ?? `${this.kind === "fork" ? "fork" : "scope"}-${this.id}`;
  }

  private get extra(): ScopeExtra {
    return (this.x ??= new ScopeExtra());
  }

  private get awaitedRunning(): number {
    return this.x?.awaitedRunning ?? 0;
  }
  private set awaitedRunning(v: number) {
    this.extra.awaitedRunning = v;
  }
  private get taskSeq(): number {
    return this.x?.taskSeq ?? 0;
  }
  private set taskSeq(v: number) {
    this.extra.taskSeq = v;
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
  private get ctl(): AbortController | undefined {
    return this.x?.ctl;
  }
  private set ctl(v: AbortController | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.ctl = v;
  }
  private get _timeoutMs(): number | undefined {
    return this.x?._timeoutMs;
  }
  private set _timeoutMs(v: number | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra._timeoutMs = v;
  }
  private get timer(): Timer | undefined {
    return this.x?.timer;
  }
  private set timer(v: Timer | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.timer = v;
  }
  private get tasks(): Set<TaskImpl<unknown>> | undefined {
    return this.x?.tasks;
  }
  private set tasks(v: Set<TaskImpl<unknown>> | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.tasks = v;
  }
  private get taskChange(): Deferred<void> | undefined {
    return this.x?.taskChange;
  }
  private set taskChange(v: Deferred<void> | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.taskChange = v;
  }
  private get cancelReason(): unknown {
    return this.x?.cancelReason;
  }
  private set cancelReason(v: unknown) {
    if (v !== undefined || this.x !== undefined) this.extra.cancelReason = v;
  }
  private get primary(): { error: unknown; own?: boolean } | undefined {
    return this.x?.primary;
  }
  private set primary(v: { error: unknown; own?: boolean } | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.primary = v;
  }
  private get extraErrors(): unknown[] | undefined {
    return this.x?.extraErrors;
  }
  private set extraErrors(v: unknown[] | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.extraErrors = v;
  }
  private get donePromise(): DonePromise | undefined {
    return this.x?.donePromise;
  }
  private set donePromise(v: DonePromise | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.donePromise = v;
  }
  private get taskOwner(): TaskOwner | undefined {
    return this.x?.taskOwner;
  }
  private set taskOwner(v: TaskOwner | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.taskOwner = v;
  }
  private get pendingOutcome(): Deferred<void> | undefined {
    return this.x?.pendingOutcome;
  }
  private set pendingOutcome(v: Deferred<void> | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.pendingOutcome = v;
  }
  private get childErrors(): unknown[] | undefined {
    return this.x?.childErrors;
  }
  private set childErrors(v: unknown[] | undefined) {
    if (v !== undefined || this.x !== undefined) this.extra.childErrors = v;
  }

  private get owner(): TaskOwner {
    return (this.taskOwner ??= {
      scope: this,
      logger: this.container.logger,
      taskGone: (task) => this.taskGone(task),
      taskFailed: (task, error) => this.taskFailed(task, error),
    });
  }

  /** `"open"`, then `"closing"` from the moment it refuses new work, then `"closed"`. */
  get state(): "open" | "closing" | "closed" {
    return this._state;
  }

  /** Aborted when the scope is cancelled or starts closing. */
  get signal(): AbortSignal {
    if (!this.ctl) {
      this.ctl = new AbortController();
      if (this._state !== "open" || this.cancelled) this.ctl.abort(this.abortReason());
    }
    return this.ctl.signal;
  }

  /** A time limit counted from the scope's creation; settable while open. Expiry cancels with `TimeoutError`. */
  get timeoutMs(): number | undefined {
    return this._timeoutMs;
  }

  /** Change the time limit; it still counts from the scope's creation (an elapsed limit fires at once). */
  set timeoutMs(ms: number | undefined) {
    checkMs(ms, "timeoutMs", `scope ${this.name}`);
    if (this._state !== "open") throw new ScopeClosedError(this.name, "set timeoutMs", this._state);
    this._timeoutMs = ms;
    cancelTimer(this.timer);
    this.timer = undefined;
    if (ms === undefined) return;
    const remaining = Math.max(0, this.createdAt + ms - performance.now());
    this.timer = startTimer(remaining, () => {
      this.timer = undefined;
      this.cancel(new TimeoutError(`Scope ${this.name} timed out after ${ms} ms.`, ms));
    });
  }

  /** Settles when the scope has closed; rejects as `close()` does. Never an unhandled rejection by itself. */
  get done(): Promise<void> {
    if (!this.donePromise) {
      const p = new DonePromise((resolve, reject) => {
        this.outcome().then(resolve, reject);
      });
      Promise.prototype.then.call(p, undefined, noop);
      p.onObserve = () => this.markObserved();
      this.donePromise = p;
    }
    return this.donePromise;
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
      this._state === "open" &&
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

  /** @internal Run `body` as this scope's body task, finalize, close; the body's own error wins (9.2). */
  async runBody<R>(body: (scope: Scope) => Promise<R> | R): Promise<R> {
    const unlink = this.linkToCaller();
    const task = this.spawnTask(() => body(this), { name: "body" }, true);
    task.observed = true;
    let value: R | undefined;
    task.onSettle = (ok, v) => {
      if (ok) value = v as R;
      else this.bodyFailed(v);
    };
    this.finalize();
    this.observed = true;
    try {
      await this.outcome();
    } finally {
      unlink();
    }
    return value as R;
  }

  // ----- tasks ----------------------------------------------------------------------------------------

  /**
   * Run `fn` as a task of this scope. It starts on the next microtask.
   *
   * @example
   * ```ts
   * const t = scope.spawn(async (signal) => fetchAll(signal), { name: "fetch" });
   * const result = await t;
   * ```
   */
  spawn<T>(fn: (signal: AbortSignal) => Promise<T> | T, options?: SpawnOptions): Task<T> {
    return this.spawnTask(fn, options ?? {}, false);
  }

  /**
   * Start a task and wait until it calls `ready(value)`; it keeps running in this scope afterwards.
   *
   * @example
   * ```ts
   * const port = await scope.start<number>(async (ready, signal) => {
   *   const server = await listen(0); ready(server.port); await closed(server, signal);
   * });
   * ```
   */
  start<T>(fn: (ready: (value: T) => void, signal: AbortSignal) => Promise<void>): Promise<T> {
    if (typeof fn !== "function") return Promise.reject(new TypeError("start(fn): fn must be a function."));
    const ready = deferred<T>();
    let isReady = false;
    let task: TaskImpl<void>;
    try {
      task = this.spawnTask(
        (signal) =>
          fn((value: T) => {
            if (isReady) return;
            isReady = true;
            task.observed = false;
            ready.resolve(value);
          }, signal),
        { name: "start" },
        false,
      ) as TaskImpl<void>;
    } catch (err) {
      return Promise.reject(err);
    }
    task.observed = true;
    task.then(
      () => {
        if (!isReady)
          ready.reject(new ConfigurationError(`start(): the task returned without calling ready().`));
      },
      (err: unknown) => {
        if (!isReady) ready.reject(err);
      },
    );
    return ready.promise;
  }

  /**
   * Cancel the scope: its tasks (awaited ones included) and child scopes are cancelled and it closes.
   * Never throws; the first reason wins; without a reason it ends without an error.
   *
   * @example
   * ```ts
   * scope.cancel(); // clean stop
   * ```
   */
  cancel(reason?: unknown): void {
    this.cancelFor(reason !== undefined, reason, false);
  }

  /**
   * Cancel. `failed`: `reason` is an error the close rejects with, whatever its value (`undefined` too);
   * `own`: an error of this scope's own tasks, which the body's own error does not hide (9.2).
   */
  private cancelFor(failed: boolean, reason: unknown, own: boolean): void {
    if (this._state === "closed" || this.cancelled) return;
    this.cancelled = true;
    this.cancelReason = reason;
    if (failed && !this.primary) this.primary = own ? { error: reason, own } : { error: reason };
    if (Scope.cancelling) {
      // A cancel made while others run (an abort listener's, a child's): the running loop takes it.
      Scope.cancelScopes.push(this);
      Scope.cancelSteps.push(ABORT);
      return;
    }
    Scope.runCancels(this);
  }

  // Cancellations run in one loop over an explicit stack rather than by recursion, so that neither the
  // nesting depth of scopes nor a chain of abort listeners (withScope calls linked to their caller's
  // signal) costs stack: each scope is aborted (ABORT), then its children are cancelled (CANCEL), then it
  // gives up its waiters and begins its close (CLOSE), after its children, as a recursive walk would.
  private static cancelling = false;
  private static readonly cancelScopes: Scope[] = [];
  private static readonly cancelSteps: number[] = [];

  private static runCancels(first: Scope): void {
    const scopes = Scope.cancelScopes;
    const steps = Scope.cancelSteps;
    Scope.cancelling = true;
    scopes.push(first);
    steps.push(ABORT);
    try {
      while (scopes.length > 0) {
        const scope = scopes.pop()!;
        const step = steps.pop()!;
        if (step === CANCEL) scope.cancel();
        else if (step === CLOSE) scope.endCancel();
        else {
          scopes.push(scope);
          steps.push(CLOSE);
          scope.abortAll();
          // Pushed last to first, so that the first child is cancelled first.
          for (let c = scope.lastChild; c !== undefined; c = c.prevSibling) {
            scopes.push(c);
            steps.push(CANCEL);
          }
        }
      }
    } finally {
      Scope.cancelling = false;
      scopes.length = 0;
      steps.length = 0;
    }
  }

  /** Cancelling, first: abort the signal and every task. */
  private abortAll(): void {
    const ctl = this.ctl;
    const tasks = this.tasks;
    if (!ctl && !tasks?.size) return;
    const reason = this.abortReason();
    if (ctl && !ctl.signal.aborted) this.abortSignal(reason);
    if (tasks) for (const task of tasks) task.cancel(reason);
  }

  /** Cancelling, last (after the children): give up the pending resolves, begin the close. */
  private endCancel(): void {
    if (this.held.pendingWaiters?.size) this.giveUpWaiters(this.abortReason());
    this.beginClose();
  }

  /** @internal Cancel with `reason` unless the scope was cancelled or closed before; whether it took it. */
  tryCancel(reason: unknown): boolean {
    if (this._state === "closed" || this.cancelled) return false;
    this.cancelFor(true, reason, false);
    return true;
  }

  /**
   * No more tasks are expected: the scope closes when its awaited tasks end.
   *
   * @example
   * ```ts
   * group.finalize(); await group.done;
   * ```
   */
  finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    this.checkIdle();
  }

  /**
   * Close the scope (SEMANTICS 3.2); idempotent, concurrent calls share one outcome.
   *
   * @example
   * ```ts
   * await scope.close();
   * ```
   */
  close(): Promise<void> {
    this.markObserved();
    if (this._state === "open") {
      // The close starts here: hand out its own promise, without a handler, so that an error nobody
      // awaits is an unhandled rejection (never dropped silently).
      this.beginClose(true);
      return this.closing!;
    }
    // Later calls get a fresh promise each, for the same reason.
    return this.closing!.then();
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ----- internals ------------------------------------------------------------------------------------

  /** @internal Throw `ScopeClosedError` unless the scope accepts new work. */
  assertOpen(what: string): void {
    if (this._state !== "open") {
      const root = this.container.root;
      const closed = root._state !== "open" ? root._state : undefined;
      throw new ScopeClosedError(this.name, what, closed ?? this._state, closed && this.container.name);
    }
  }

  /** @internal The ongoing close, started if needed; never rejects unhandled. */
  whenClosed(): Promise<void> {
    this.beginClose();
    return this.closing!;
  }

  /** @internal The outcome of the close, whenever it happens, without starting it. */
  outcome(): Promise<void> {
    if (this.closing) return this.closing;
    if (!this.pendingOutcome) {
      this.pendingOutcome = deferred<void>();
      this.pendingOutcome.promise.catch(noop);
    }
    return this.pendingOutcome.promise;
  }

  /** @internal Names of what still runs in this scope and below it (for ShutdownTimeoutError). */
  pendingNames(): string[] {
    const out: string[] = [];
    // Depth first, in order, with an explicit stack: nesting depth costs no call stack.
    const stack: Scope[] = [this];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (s.tasks) for (const t of s.tasks) if (!t.gone) out.push(`task ${t.name} (scope ${s.name})`);
      for (let c = s.lastChild; c !== undefined; c = c.prevSibling) if (c._state !== "closed") stack.push(c);
    }
    return out;
  }

  /** @internal Live child scopes, for inspection. */
  childScopes(): Scope[] {
    const out: Scope[] = [];
    for (let c = this.firstChild; c !== undefined; c = c.nextSibling) out.push(c);
    return out;
  }

  private addChild(name: string | undefined, kind: ScopeKind): Scope {
    this.assertOpen(kind === "fork" ? "fork" : "create a scope");
    const child = new Scope(this.container, this, name, kind);
    if (this.container.starting > 0) child.madeBy = creationRunning();
    const last = this.lastChild;
    if (last === undefined) this.firstChild = child;
    else {
      last.nextSibling = child;
      child.prevSibling = last;
    }
    this.lastChild = child;
    return child;
  }

  /** A call made from code running in another scope is cancelled with that code (API: conventions). */
  private linkToCaller(): () => void {
    const ambient = currentAmbient();
    const signal = ambient?.signal;
    if (!signal || ambient.scope === this) return noop;
    if (signal.aborted) {
      this.cancel(signal.reason);
      return noop;
    }
    const cancel = (): void => this.cancel(signal.reason);
    addAbortCallback(signal, cancel);
    return () => removeAbortCallback(signal, cancel);
  }

  private spawnTask<T>(
    fn: (signal: AbortSignal) => Promise<T> | T,
    options: SpawnOptions,
    isBody: boolean,
  ): TaskImpl<T> {
    if (typeof fn !== "function") {
      throw new TypeError(`spawn(fn): fn must be a function; got ${fn === null ? "null" : typeof fn}.`);
    }
    if (options === null || typeof options !== "object") {
      throw new TypeError("spawn(fn, options): options must be an object.");
    }
    this.assertOpen("spawn a task");
    if (options.cancelTimeoutMs !== undefined) checkMs(options.cancelTimeoutMs, "cancelTimeoutMs", "spawn");
    const task = new TaskImpl<T>(this.owner, fn, options, isBody ? "body" : `task-${++this.taskSeq}`);
    (this.tasks ??= new Set()).add(task as TaskImpl<unknown>);
    if (task.awaited) this.awaitedRunning++;
    task.start();
    return task;
  }

  private taskGone(task: TaskImpl<unknown>): void {
    if (!this.tasks?.delete(task)) return;
    if (task.awaited) this.awaitedRunning--;
    if (this.taskChange) {
      const change = this.taskChange;
      this.taskChange = undefined;
      change.resolve();
    }
    if (task.master) this.cancel();
    this.checkIdle();
  }

  private taskFailed(_task: TaskImpl<unknown>, error: unknown): void {
    if (this.onFailure) {
      this.onFailure(error);
      return;
    }
    if (this.cancelled || this._state === "closed") {
      if (!isCancellation(error, this.cancelReason)) {
        logSafely(
          this.container.logger,
          "warn",
          `A task of scope ${this.name} failed while it was cancelled`,
          error,
        );
      }
      return;
    }
    this.cancelFor(true, error, true);
  }

  /** The body's own error always wins over a cancellation (SEMANTICS 9.2). */
  private bodyFailed(error: unknown): void {
    if (this.cancelled && isCancellation(error, this.cancelReason)) return;
    if (this._state === "closed") {
      logSafely(
        this.container.logger,
        "warn",
        `The body of scope ${this.name} failed after it was abandoned`,
        error,
      );
      return;
    }
    if (this.primary?.own) {
      // The earlier primary was an error of this scope's own tasks: keep it, after the body's.
      (this.extraErrors ??= []).unshift(this.primary.error);
    }
    this.primary = { error };
    if (!this.cancelled) this.cancelFor(true, error, false);
  }

  private checkIdle(): void {
    if (this.finalized && this.awaitedRunning === 0 && this._state === "open") this.beginClose();
  }

  private abortReason(): unknown {
    return (
      this.cancelReason ??
      new CancelledError(`Scope ${this.name} is ${this.cancelled ? "cancelled" : "closing"}.`)
    );
  }

  private abortSignal(reason: unknown): void {
    try {
      this.ctl!.abort(reason);
    } catch (err) {
      logSafely(this.container.logger, "warn", `Scope ${this.name}: an abort listener threw`, err);
    }
  }

  private giveUpWaiters(reason: unknown): void {
    giveUpAll(this.held, reason);
  }

  private beginClose(handled = false): void {
    if (this._state !== "open") return;
    this._state = "closing";
    if (this.ctl && !this.ctl.signal.aborted) this.abortSignal(this.abortReason());
    if (this.held.pendingWaiters?.size) this.giveUpWaiters(this.abortReason());
    this.closing = this.runClose();
    if (this.closing !== RESOLVED && !handled) this.closing.catch(noop);
    if (this.pendingOutcome) this.closing.then(this.pendingOutcome.resolve, this.pendingOutcome.reject);
  }

  private async waitTasks(done: () => boolean): Promise<void> {
    while (!done()) await (this.taskChange ??= deferred<void>()).promise;
  }

  /** SEMANTICS 3.2, in order; without tasks or children it stays synchronous until a disposal waits. */
  private runClose(): Promise<void> {
    // 1. New work is refused (state is "closing").  2. Finalize.
    this.finalized = true;
    if (!this.tasks?.size && this.firstChild === undefined && this.kind !== "root") {
      const teardown: unknown[] = [];
      let dropped: MaybePromise<void>;
      try {
        dropped = releaseHeld(this, teardown);
      } catch (err) {
        teardown.push(err);
      }
      if (isPromise(dropped!)) return dropped.then(() => this.finishClose(teardown));
      try {
        this.finishClose(teardown);
        return RESOLVED;
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.runCloseAsync();
  }

  private async runCloseAsync(): Promise<void> {
    // 3. Wait for the awaited tasks (a cancelled scope has cancelled them already).
    await this.waitTasks(() => this.awaitedRunning === 0);
    // 4. Cancel the rest and every child scope, in parallel, and wait for them.
    const reason = this.cancelled ? this.abortReason() : undefined;
    if (this.tasks) for (const task of this.tasks) task.cancel(reason);
    const children = this.childScopes();
    for (const child of children) child.cancel();
    await Promise.all([
      this.waitTasks(() => (this.tasks?.size ?? 0) === 0),
      ...children.map((c) => this.closeChild(c)),
    ]);
    // 5. Drop every reference, disposing what nobody else holds: dependents first, independent ones in parallel.
    const teardown: unknown[] = [];
    await releaseHeld(this, teardown);
    if (this.kind === "root") await this.container.afterRootReleased(teardown);
    this.finishClose(teardown);
  }

  /** 6. Closed: settle with the primary error first, then the teardown errors in the order thrown. */
  private finishClose(teardown: unknown[]): void {
    cancelTimer(this.timer);
    this.timer = undefined;
    this._state = "closed";
    const errors: unknown[] = [];
    if (this.primary) errors.push(this.primary.error);
    if (this.extraErrors) pushAll(errors, this.extraErrors);
    if (this.childErrors) pushAll(errors, this.childErrors);
    pushAll(errors, teardown);
    this.parent?.childClosed(this, errors.length > 0);
    if (errors.length) throw combineErrors(errors, `closing scope ${this.name}`);
  }

  private async closeChild(child: Scope): Promise<void> {
    try {
      await child.whenClosed();
    } catch (err) {
      if (child.observed) return;
      child.observed = true;
      if (child.kind === "fork") {
        logSafely(
          this.container.logger,
          "error",
          `Fork ${child.name} of scope ${this.name} failed unobserved`,
          err,
        );
      } else {
        (this.childErrors ??= []).push(err);
      }
    }
  }

  /** @internal Wait for this scope to close, collecting its error into `errors` instead of throwing. */
  whenClosedQuietly(errors: unknown[]): Promise<void> {
    this.markObserved();
    return this.whenClosed().then(noop, (err: unknown) => void errors.push(err));
  }

  /** @internal Spawn the task that runs a `useService` function; its outcome is handled by the resolver. */
  spawnService(name: string, fn: () => Promise<void>): TaskImpl<void> {
    const task = this.spawnTask(fn, { name }, false);
    task.observed = true;
    return task;
  }

  /** @internal A child finished closing: forget it unless its error still waits for an observer. */
  childClosed(child: Scope, failed: boolean): void {
    if (!failed || child.observed) this.unlinkChild(child);
  }

  private unlinkChild(child: Scope): void {
    const prev = child.prevSibling;
    const next = child.nextSibling;
    if (prev === undefined && this.firstChild !== child) return; // not (or no longer) linked
    if (prev === undefined) this.firstChild = next;
    else prev.nextSibling = next;
    if (next === undefined) this.lastChild = prev;
    else next.prevSibling = prev;
    child.prevSibling = child.nextSibling = undefined;
  }

  /** Someone takes this scope's outcome: a parent that kept it closed, to report its error, lets it go (9.4). */
  private markObserved(): void {
    this.observed = true;
    if (this._state === "closed") this.parent?.childClosed(this, true);
  }
}
