// Larger because the task group is one unit (SEMANTICS 3 and 4): its public task API with its docs, the
// cancellation walk, and the close protocol numbered against SEMANTICS 3.2; the parts that stand alone
// (task set, outcome, deadline) live next to it.
import { CancelledError, ConfigurationError, ScopeClosedError, TimeoutError } from "../errors.js";
import { logSafely, type Logger } from "../logger.js";
import { currentAmbient } from "../internal/ambient.js";
import { LinkedList } from "../internal/linked-list.js";
import { combineErrors, deferred, isPromise, noop, type MaybePromise } from "../internal/maybe.js";
import { addAbortCallback, removeAbortCallback } from "../internal/on-abort.js";
import { checkMs } from "../internal/timer.js";
import { Deadline } from "./deadline.js";
import { DonePromise, Outcome } from "./outcome.js";
import type { SpawnOptions, Task } from "./task.js";
import { isCancellation, type TaskImpl } from "./task-impl.js";
import { TaskSet } from "./task-set.js";

/** What a group is for: the container's root, a child scope, a fork, an instance's own scope. */
export type GroupKind = "root" | "child" | "fork" | "instance";

let nextGroupId = 1;
const RESOLVED = Promise.resolve();

// A group's state and flags share one small integer (one slot per group: most groups are request scopes).
const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;
const STATE = 3;
const FINALIZED = 4;
const CANCELLED = 8;
/** Someone took the outcome (close() or done): a child's error then goes to them, not to the parent. */
const OBSERVED = 16;
const STATE_NAMES = ["open", "closing", "closed"] as const;

// Cancellations run in one loop over an explicit stack rather than by recursion, so that neither the
// nesting depth of groups nor a chain of abort listeners (withScope calls linked to their caller's signal)
// costs stack: each group is aborted (ABORT), then its children are cancelled (CANCEL), then it gives up
// what is pending and begins its close (CLOSE), after its children, as a recursive walk would.
const CANCEL = 0;
const ABORT = 1;
const CLOSE = 2;
let cancelling = false;
const cancelGroups: TaskGroup[] = [];
const cancelSteps: number[] = [];

/**
 * Structured concurrency with no DI: tasks, child groups, cancellation, a time limit, and a close that
 * ends them in order (SEMANTICS 3.2). `Scope` extends it with the DI half through the protected hooks
 * `onClosing` (step 1), `releaseAll` (step 5) and `taskFailed`. Its parts are made on first use: a
 * `TaskSet` on the first spawn, an `Outcome` when there is one to keep, a `Deadline` when a limit is set.
 */
export abstract class TaskGroup implements AsyncDisposable {
  /** @internal */
  readonly id: number;
  /** @internal */
  readonly kind: GroupKind;
  /** @internal How many groups are above this one (the root's is 0). */
  readonly depth: number;
  readonly parent: TaskGroup | undefined;
  /** @internal The previous sibling in the parent's list of children. */
  linkPrev: TaskGroup | undefined = undefined;
  /** @internal The next sibling in the parent's list of children. */
  linkNext: TaskGroup | undefined = undefined;
  #bits = OPEN;
  readonly #givenName: string | undefined;
  readonly #createdAt = performance.now();
  #closing: Promise<void> | undefined = undefined;
  /** Child groups still open (or closed with an error nobody took yet). */
  #children: LinkedList<TaskGroup> | undefined = undefined;
  #tasks: TaskSet | undefined = undefined;
  #outcome: Outcome | undefined = undefined;
  #deadline: Deadline | undefined = undefined;
  #ctl: AbortController | undefined = undefined;

  /** @internal Made by a subclass (`Scope`). */
  constructor(parent: TaskGroup | undefined, name: string | undefined, kind: GroupKind) {
    this.id = nextGroupId++;
    this.kind = kind;
    this.parent = parent;
    this.depth = parent === undefined ? 0 : parent.depth + 1;
    this.#givenName = name;
  }

  /** Where the group's warnings go. */
  protected abstract get logger(): Logger;

  /** The name given at creation, else `scope-<n>` (or `fork-<n>`). */
  get name(): string {
    return this.#givenName ?? `${this.kind === "fork" ? "fork" : "scope"}-${this.id}`;
  }

  /** `"open"`, then `"closing"` from the moment it refuses new work, then `"closed"`. */
  get state(): "open" | "closing" | "closed" {
    return STATE_NAMES[this.#bits & STATE]!;
  }

  /** Aborted when the scope is cancelled or starts closing. */
  get signal(): AbortSignal {
    if (!this.#ctl) {
      this.#ctl = new AbortController();
      if ((this.#bits & STATE) !== OPEN || this.#bits & CANCELLED) this.#ctl.abort(this.abortReason());
    }
    return this.#ctl.signal;
  }

  /** A time limit counted from the scope's creation; settable while open. Expiry cancels with `TimeoutError`. */
  get timeoutMs(): number | undefined {
    return this.#deadline?.ms;
  }

  /** Change the time limit; it still counts from the scope's creation (an elapsed limit fires at once). */
  set timeoutMs(ms: number | undefined) {
    checkMs(ms, "timeoutMs", `scope ${this.name}`);
    if ((this.#bits & STATE) !== OPEN) throw new ScopeClosedError(this.name, "set timeoutMs", this.state);
    if (ms === undefined) {
      if (this.#deadline) {
        this.#deadline.stop();
        this.#deadline.ms = undefined;
      }
      return;
    }
    const remaining = Math.max(0, this.#createdAt + ms - performance.now());
    (this.#deadline ??= new Deadline()).set(ms, remaining, () =>
      this.cancel(new TimeoutError(`Scope ${this.name} timed out after ${ms} ms.`, ms)),
    );
  }

  /** Settles when the scope has closed; rejects as `close()` does. Never an unhandled rejection by itself. */
  get done(): Promise<void> {
    const outcome = this.out();
    if (!outcome.done) {
      const p = new DonePromise((resolve, reject) => {
        this.outcome().then(resolve, reject);
      });
      Promise.prototype.then.call(p, undefined, noop);
      p.onObserve = () => this.markObserved();
      outcome.done = p;
    }
    return outcome.done;
  }

  /** @internal Run `body` as this group's body task, finalize, close; the body's own error wins (9.2). */
  async runBody<R>(body: (group: this) => Promise<R> | R): Promise<R> {
    const unlink = this.linkToCaller();
    const task = this.spawnTask(() => body(this), { name: "body" }, true);
    task.observed = true;
    let value: R | undefined;
    task.onSettle = (ok, v) => {
      if (ok) value = v as R;
      else this.bodyFailed(v);
    };
    this.finalize();
    this.#bits |= OBSERVED;
    try {
      await this.outcome();
    } finally {
      unlink();
    }
    return value as R;
  }

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

  /** @internal Cancel with `reason` unless the group was cancelled or closed before; whether it took it. */
  tryCancel(reason: unknown): boolean {
    if ((this.#bits & STATE) === CLOSED || this.#bits & CANCELLED) return false;
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
    if (this.#bits & FINALIZED) return;
    this.#bits |= FINALIZED;
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
    if ((this.#bits & STATE) === OPEN) {
      // The close starts here: hand out its own promise, without a handler, so that an error nobody
      // awaits is an unhandled rejection (never dropped silently).
      this.beginClose(true);
      return this.#closing!;
    }
    // Later calls get a fresh promise each, for the same reason.
    return this.#closing!.then();
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ----- for subclasses and the layers above ------------------------------------------------------------

  /** @internal Throw `ScopeClosedError` unless the group accepts new work. */
  assertOpen(what: string): void {
    if ((this.#bits & STATE) !== OPEN) throw new ScopeClosedError(this.name, what, this.state);
  }

  /** @internal The ongoing close, started if needed; never rejects unhandled. */
  whenClosed(): Promise<void> {
    this.beginClose();
    return this.#closing!;
  }

  /** @internal Wait for this group to close, collecting its error into `errors` instead of throwing. */
  whenClosedQuietly(errors: unknown[]): Promise<void> {
    this.markObserved();
    return this.whenClosed().then(noop, (err: unknown) => void errors.push(err));
  }

  /** @internal The outcome of the close, whenever it happens, without starting it. */
  outcome(): Promise<void> {
    return this.#closing ?? this.out().pendingPromise();
  }

  /** @internal Names of what still runs in this group and below it (for ShutdownTimeoutError). */
  pendingNames(): string[] {
    const out: string[] = [];
    // Depth first, in order, with an explicit stack: nesting depth costs no call stack.
    const stack: TaskGroup[] = [this];
    while (stack.length > 0) {
      const g = stack.pop()!;
      g.#tasks?.pendingNames(out);
      for (let c = g.#children?.tail; c !== undefined; c = c.linkPrev)
        if ((c.#bits & STATE) !== CLOSED) stack.push(c);
    }
    return out;
  }

  /** @internal Live child groups, for inspection. */
  childScopes(): TaskGroup[] {
    return this.#children?.toArray() ?? [];
  }

  /** @internal A child finished closing: forget it unless its error still waits for an observer. */
  childClosed(child: TaskGroup, failed: boolean): void {
    if (!failed || child.#bits & OBSERVED) this.#children?.delete(child);
  }

  /** @internal Add a new child group (made by the subclass, open, with this group as its parent). */
  protected linkChild(child: TaskGroup): void {
    (this.#children ??= new LinkedList()).add(child);
  }

  /** @internal Validate and start a task (a body task is named "body"). */
  protected spawnTask<T>(
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
    const tasks = (this.#tasks ??= new TaskSet(
      this,
      this.logger,
      (task) => this.taskGone(task),
      (error) => this.taskFailed(error),
    ));
    return tasks.spawn(fn, options, isBody);
  }

  /** The reason the group's work is stopped with: the cancel reason, else a `CancelledError`. */
  protected abortReason(): unknown {
    return (
      this.#outcome?.cancelReason ??
      new CancelledError(`Scope ${this.name} is ${this.#bits & CANCELLED ? "cancelled" : "closing"}.`)
    );
  }

  /**
   * Step 1 (and once more when a cancel reaches the group): give up what waits on the group. Called after
   * the signal is aborted; `abortReason()` is the reason (made only when asked: it may cost a stack trace).
   */
  protected onClosing(): void {}

  /** Step 5: release what the group holds, collecting errors into `errors`. A sync throw is an error too. */
  protected releaseAll(_errors: unknown[]): void | Promise<void> {}

  /** A task failed unobserved and bubbles: cancel the group with its error (SEMANTICS 4.3). */
  protected taskFailed(error: unknown): void {
    if (this.#bits & CANCELLED || (this.#bits & STATE) === CLOSED) {
      if (!isCancellation(error, this.#outcome?.cancelReason)) {
        logSafely(this.logger, "warn", `A task of scope ${this.name} failed while it was cancelled`, error);
      }
      return;
    }
    this.cancelFor(true, error, true);
  }

  // ----- cancellation -----------------------------------------------------------------------------------

  private out(): Outcome {
    return (this.#outcome ??= new Outcome());
  }

  /**
   * Cancel. `failed`: `reason` is an error the close rejects with, whatever its value (`undefined` too);
   * `own`: an error of this group's own tasks, which the body's own error does not hide (9.2).
   */
  private cancelFor(failed: boolean, reason: unknown, own: boolean): void {
    if ((this.#bits & STATE) === CLOSED || this.#bits & CANCELLED) return;
    this.#bits |= CANCELLED;
    if (failed || reason !== undefined) {
      const outcome = this.out();
      outcome.cancelReason = reason;
      if (failed) outcome.fail(reason, own);
    }
    if (cancelling) {
      // A cancel made while others run (an abort listener's, a child's): the running loop takes it.
      cancelGroups.push(this);
      cancelSteps.push(ABORT);
      return;
    }
    TaskGroup.#runCancels(this);
  }

  static #runCancels(first: TaskGroup): void {
    cancelling = true;
    cancelGroups.push(first);
    cancelSteps.push(ABORT);
    try {
      while (cancelGroups.length > 0) {
        const group = cancelGroups.pop()!;
        const step = cancelSteps.pop()!;
        if (step === CANCEL) group.cancel();
        else if (step === CLOSE) group.endCancel();
        else {
          cancelGroups.push(group);
          cancelSteps.push(CLOSE);
          group.abortAll();
          // Pushed last to first, so that the first child is cancelled first.
          for (let c = group.#children?.tail; c !== undefined; c = c.linkPrev) {
            cancelGroups.push(c);
            cancelSteps.push(CANCEL);
          }
        }
      }
    } finally {
      cancelling = false;
      cancelGroups.length = 0;
      cancelSteps.length = 0;
    }
  }

  /** Cancelling, first: abort the signal and every task. */
  private abortAll(): void {
    const ctl = this.#ctl;
    const tasks = this.#tasks;
    if (!ctl && !tasks?.size) return;
    const reason = this.abortReason();
    if (ctl && !ctl.signal.aborted) this.abortSignal(reason);
    tasks?.cancelAll(reason);
  }

  /** Cancelling, last (after the children): give up what is pending, begin the close. */
  private endCancel(): void {
    this.onClosing();
    this.beginClose();
  }

  private abortSignal(reason: unknown): void {
    try {
      this.#ctl!.abort(reason);
    } catch (err) {
      logSafely(this.logger, "warn", `Scope ${this.name}: an abort listener threw`, err);
    }
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

  // ----- tasks ------------------------------------------------------------------------------------------

  private taskGone(task: TaskImpl<unknown>): void {
    if (task.master) this.cancel();
    this.checkIdle();
  }

  /** The body's own error always wins over a cancellation (SEMANTICS 9.2). */
  private bodyFailed(error: unknown): void {
    if (this.#bits & CANCELLED && isCancellation(error, this.#outcome?.cancelReason)) return;
    if ((this.#bits & STATE) === CLOSED) {
      logSafely(this.logger, "warn", `The body of scope ${this.name} failed after it was abandoned`, error);
      return;
    }
    this.out().bodyFailed(error);
    if (!(this.#bits & CANCELLED)) this.cancelFor(true, error, false);
  }

  private checkIdle(): void {
    if (this.#bits & FINALIZED && (this.#tasks?.awaited ?? 0) === 0 && (this.#bits & STATE) === OPEN)
      this.beginClose();
  }

  // ----- the close (SEMANTICS 3.2) ------------------------------------------------------------------------

  private beginClose(handled = false): void {
    if ((this.#bits & STATE) !== OPEN) return;
    // 1. New work is refused (state is "closing"), the signal aborts, what waits on the group gives up.
    this.#bits = (this.#bits & ~STATE) | CLOSING;
    if (this.#ctl && !this.#ctl.signal.aborted) this.abortSignal(this.abortReason());
    this.onClosing();
    const closing = (this.#closing = this.runClose());
    if (closing !== RESOLVED && !handled) closing.catch(noop);
    const pending = this.#outcome?.pending;
    if (pending) closing.then(pending.resolve, pending.reject);
  }

  /** Steps 2–6; a group with no tasks and no children goes from step 2 to step 5, synchronously. */
  private runClose(): Promise<void> {
    // 2. Finalize.
    this.#bits |= FINALIZED;
    // The root's release always waits (the container's tail), so it takes the general path.
    if (!this.#tasks?.size && this.#children?.head === undefined && this.kind !== "root") {
      const teardown: unknown[] = [];
      let released: MaybePromise<void>;
      try {
        released = this.releaseAll(teardown);
      } catch (err) {
        teardown.push(err);
      }
      if (isPromise(released!)) return released.then(() => this.finishClose(teardown));
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
    // 3. Wait for the awaited tasks (a cancelled group has cancelled them already).
    await this.#tasks?.awaitedDone();
    // 4. Cancel the rest and every child group, in parallel, and wait for them.
    const tasks = this.#tasks;
    tasks?.cancelAll(this.#bits & CANCELLED ? this.abortReason() : undefined);
    const children = this.childScopes();
    for (const child of children) child.cancel();
    await Promise.all([tasks?.allDone(), ...children.map((c) => this.closeChild(c))]);
    // 5. Release what the group holds: dependents first, independent ones in parallel.
    const teardown: unknown[] = [];
    await this.releaseAll(teardown);
    this.finishClose(teardown);
  }

  /** 6. Closed: settle with the primary error first, then child errors, then the teardown's in order. */
  private finishClose(teardown: unknown[]): void {
    this.#deadline?.stop();
    this.#bits = (this.#bits & ~STATE) | CLOSED;
    const errors = this.#outcome ? this.#outcome.errors(teardown) : teardown;
    this.parent?.childClosed(this, errors.length > 0);
    if (errors.length) throw combineErrors(errors, `closing scope ${this.name}`);
  }

  private async closeChild(child: TaskGroup): Promise<void> {
    try {
      await child.whenClosed();
    } catch (err) {
      if (child.#bits & OBSERVED) return;
      child.#bits |= OBSERVED;
      if (child.kind === "fork") {
        logSafely(this.logger, "error", `Fork ${child.name} of scope ${this.name} failed unobserved`, err);
      } else {
        this.out().addChildError(err);
      }
    }
  }

  /** Someone takes this group's outcome: a parent that kept it closed, to report its error, lets it go (9.4). */
  private markObserved(): void {
    this.#bits |= OBSERVED;
    if ((this.#bits & STATE) === CLOSED) this.parent?.childClosed(this, true);
  }
}
