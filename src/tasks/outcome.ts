import { deferred, noop, pushAll, type Deferred } from "../internal/maybe.js";

/**
 * `done` of a group: a promise whose `then` marks the group's outcome as observed (SEMANTICS 9.4: a
 * child's error is reported once, to whoever awaits or closes it).
 */
export class DonePromise extends Promise<void> {
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

/**
 * How a group ends, made on first use (a group cancelled with a reason, failed, awaited through `done`
 * or `outcome()` before it closed, or with a child error to report): the cancel reason, the errors its
 * close rejects with, in order (SEMANTICS 3.2 step 6: primary, extra, child errors, then teardown), and
 * the promises handed out for the outcome before the close began.
 */
export class Outcome {
  /** The reason the group was cancelled with (`undefined`: none given, a clean stop). */
  cancelReason: unknown = undefined;
  /** Whether there is a primary error: the close rejects, whatever its value (`undefined` too). */
  failed = false;
  /** The error the close rejects with first (only when `failed`). */
  primary: unknown = undefined;
  /** The primary is an error of the group's own tasks, which the body's own error does not hide (9.2). */
  primaryOwn = false;
  /** Errors after the primary (an own-task error the body's error displaced). */
  extraErrors: unknown[] | undefined = undefined;
  /** Errors of child groups nobody observed (forks excepted: theirs are logged). */
  childErrors: unknown[] | undefined = undefined;
  /** The group's `done`, made when first asked for. */
  done: DonePromise | undefined = undefined;
  /** The outcome asked for before the close began; settled with the close. */
  pending: Deferred<void> | undefined = undefined;

  /** Record `error` as the primary unless there is one already. */
  fail(error: unknown, own: boolean): void {
    if (this.failed) return;
    this.failed = true;
    this.primary = error;
    this.primaryOwn = own;
  }

  /** The body's own error always becomes the primary; an own-task primary is kept right after it. */
  bodyFailed(error: unknown): void {
    if (this.failed && this.primaryOwn) (this.extraErrors ??= []).unshift(this.primary);
    this.failed = true;
    this.primary = error;
    this.primaryOwn = false;
  }

  addChildError(error: unknown): void {
    (this.childErrors ??= []).push(error);
  }

  /** The promise of the outcome for someone who asks before the close began (never unhandled). */
  pendingPromise(): Promise<void> {
    if (!this.pending) {
      this.pending = deferred<void>();
      this.pending.promise.catch(noop);
    }
    return this.pending.promise;
  }

  /** Step 6: every error, in order: primary, extra, child errors, then the teardown's. */
  errors(teardown: unknown[]): unknown[] {
    const errors: unknown[] = [];
    if (this.failed) errors.push(this.primary);
    if (this.extraErrors) pushAll(errors, this.extraErrors);
    if (this.childErrors) pushAll(errors, this.childErrors);
    pushAll(errors, teardown);
    return errors;
  }
}
