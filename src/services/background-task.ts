// The handle `Service.addTask()` returns (SEMANTICS 6.4); `close-tasks.ts` cancels a run's tasks when it
// stops. Internal.
import { CancelledError, isCancellation } from "../errors.js";
import { logSafely, type Logger } from "../logger.js";
import type { Task } from "../task.js";
import { noop } from "../internal/maybe.js";

/** A background task of a service. Its failure crashes the stack unless someone awaited it first. */
export class BackgroundTask<T = unknown> implements Task<T> {
  readonly name: string;
  readonly #controller = new AbortController();
  readonly #result: Promise<T>;
  #done = false;
  #takenOver = false;
  /** Settles, never rejects, when the task has ended. */
  readonly ended: Promise<void>;

  constructor(
    name: string,
    fn: (signal: AbortSignal) => Promise<T>,
    logger: () => Logger,
    onCrash: (error: unknown) => void,
  ) {
    this.name = name;
    const signal = this.#controller.signal;
    let run: Promise<T>;
    try {
      run = Promise.resolve(fn(signal));
    } catch (error) {
      run = Promise.reject(error);
    }
    this.#result = run.then(
      (value) => {
        this.#done = true;
        return value;
      },
      (error: unknown) => {
        this.#done = true;
        if (signal.aborted) {
          // SEMANTICS 4.4: what a task throws while being cancelled does not replace the reason.
          if (!isCancellation(error, signal.reason)) {
            logSafely(logger(), "warn", `${name} threw while being cancelled`, error);
          }
          throw signal.reason;
        }
        if (!this.#takenOver) onCrash(error);
        throw error;
      },
    );
    this.#result.catch(noop);
    this.ended = this.#result.then(noop, noop);
  }

  get done(): boolean {
    return this.#done;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  cancel(reason?: unknown): void {
    if (this.#controller.signal.aborted) return;
    this.#controller.abort(reason ?? new CancelledError(`${this.name} was cancelled.`));
  }

  /** Awaiting the handle before the task fails takes over its error: it then crashes nothing. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.#takenOver = true;
    return this.#result.then(onFulfilled, onRejected);
  }
}
