import { CancelledError, isCancellation } from "../errors.js";

export { isCancellation };
import { logSafely, type Logger } from "../logger.js";
import type { SpawnOptions, Task } from "../task.js";
import { runInAmbient } from "./ambient.js";
import type { Scope } from "../scope.js";
import { deferred, noop, type Deferred } from "./maybe.js";
import { cancelTimer, startTimer, type Timer } from "./timer.js";

/** What the owning scope learns when a task is over (settled, or abandoned as stuck). */
export interface TaskOwner {
  readonly scope: Scope;
  readonly logger: Logger;
  /** The task settled or was abandoned; called once. */
  taskGone(task: TaskImpl<unknown>): void;
  /** The task failed, nobody had awaited it, and it bubbles. */
  taskFailed(task: TaskImpl<unknown>, error: unknown): void;
}

/** A running task: its handle, its signal, and the flags that decide where its outcome goes. */
export class TaskImpl<T> implements Task<T> {
  readonly name: string;
  readonly bubble: boolean;
  readonly master: boolean;
  readonly awaited: boolean;
  readonly cancelTimeoutMs: number;
  /** Someone awaited the handle: its error goes to them, not to the scope. */
  observed = false;
  /** No longer waited for: it settled, or it ignored its cancellation for too long. */
  gone = false;
  /** Receives the raw outcome before anything else (a scope body's own error wins: SEMANTICS 9.2). */
  onSettle: ((ok: boolean, valueOrError: unknown, cancelled: boolean) => void) | undefined;
  private settled = false;
  private cancelled = false;
  private reason: unknown;
  private readonly ctl = new AbortController();
  private readonly outcome: Deferred<T> = deferred<T>();
  private stuckTimer: Timer | undefined;

  constructor(
    private readonly owner: TaskOwner,
    private readonly fn: (signal: AbortSignal) => Promise<T> | T,
    options: SpawnOptions,
    defaultName: string,
  ) {
    this.name = options.name ?? defaultName;
    this.bubble = options.bubble ?? true;
    this.master = options.master ?? false;
    this.awaited = options.awaited ?? true;
    this.cancelTimeoutMs = options.cancelTimeoutMs ?? 1000;
    this.outcome.promise.catch(noop);
  }

  get done(): boolean {
    return this.settled;
  }

  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  /** Start on a later tick, so that the handle exists before the function's first line runs. */
  start(): void {
    queueMicrotask(() => {
      if (this.cancelled) {
        this.finish(false, this.reason, false);
        return;
      }
      let result: Promise<T> | T;
      try {
        result = runInAmbient({ scope: this.owner.scope, signal: this.ctl.signal }, () =>
          this.fn(this.ctl.signal),
        );
      } catch (err) {
        this.finish(false, err, true);
        return;
      }
      Promise.resolve(result).then(
        (value) => this.finish(true, value, true),
        (err: unknown) => this.finish(false, err, true),
      );
    });
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (!this.settled) this.observed = true;
    return this.outcome.promise.then(onFulfilled, onRejected);
  }

  cancel(reason?: unknown): void {
    if (this.settled || this.cancelled) return;
    this.cancelled = true;
    this.reason = reason !== undefined ? reason : new CancelledError(`Task ${this.name} was cancelled.`);
    try {
      this.ctl.abort(this.reason);
    } catch (err) {
      // An abort listener threw: that is an error thrown while cancelling (SEMANTICS 4.4).
      logSafely(this.owner.logger, "warn", `Task ${this.name}: an abort listener threw`, err);
    }
    if (!this.settled && !this.gone) {
      this.stuckTimer = startTimer(this.cancelTimeoutMs, () => this.giveUp());
    }
  }

  private giveUp(): void {
    this.stuckTimer = undefined;
    if (this.settled || this.gone) return;
    logSafely(
      this.owner.logger,
      "warn",
      `Task ${this.name} in scope ${this.owner.scope.name} could not cancel within ${this.cancelTimeoutMs} ms ` +
        `(it ignores its signal); it is stuck and no longer awaited`,
    );
    this.gone = true;
    this.owner.taskGone(this as TaskImpl<unknown>);
  }

  private finish(ok: boolean, valueOrError: unknown, ran: boolean): void {
    if (this.settled) return;
    this.settled = true;
    cancelTimer(this.stuckTimer);
    if (this.onSettle) {
      this.onSettle(ok, valueOrError, this.cancelled);
    } else if (this.cancelled) {
      if (ran && !ok && !isCancellation(valueOrError, this.reason)) {
        logSafely(this.owner.logger, "warn", `Task ${this.name} threw while being cancelled`, valueOrError);
      }
    }
    if (this.cancelled) {
      this.outcome.reject(this.reason);
    } else if (ok) {
      this.outcome.resolve(valueOrError as T);
    } else {
      this.outcome.reject(valueOrError);
      if (!this.observed && !this.gone) {
        if (this.bubble) this.owner.taskFailed(this as TaskImpl<unknown>, valueOrError);
        else
          logSafely(
            this.owner.logger,
            "error",
            `Task ${this.name} in scope ${this.owner.scope.name} failed`,
            valueOrError,
          );
      }
    }
    if (!this.gone) {
      this.gone = true;
      this.owner.taskGone(this as TaskImpl<unknown>);
    }
  }
}
