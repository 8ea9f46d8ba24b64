import { cancelTimer, startTimer, type Timer } from "../internal/timer.js";

/**
 * One queued call: a method name, its arguments and, for a `sync` call, the caller waiting for the outcome.
 *
 * @internal
 */
export class DeferredCall {
  /** True once `process()` has begun running it. */
  started = false;
  #answer: ((failed: boolean, value: unknown) => void) | undefined;
  #timer: Timer | undefined;

  private constructor(
    readonly method: string,
    readonly args: unknown[],
    readonly oneWay: boolean,
  ) {}

  /** A call whose outcome nobody waits for. */
  static oneWay(method: string, args: unknown[]): DeferredCall {
    return new DeferredCall(method, args, true);
  }

  /**
   * A call with a waiting caller. With `timeoutMs`, the caller's promise rejects with `onTimeout()` when the
   * call has not settled by then; the call itself stays queued and its later outcome is discarded.
   */
  static sync(
    method: string,
    args: unknown[],
    timeoutMs: number | undefined,
    onTimeout: (call: DeferredCall) => Error,
  ): { call: DeferredCall; promise: Promise<unknown> } {
    const call = new DeferredCall(method, args, false);
    const promise = new Promise<unknown>((resolve, reject) => {
      call.#answer = (failed, value) => (failed ? reject(value) : resolve(value));
    });
    if (timeoutMs !== undefined) {
      call.#timer = startTimer(timeoutMs, () => call.reject(onTimeout(call)));
    }
    return { call, promise };
  }

  /** Hand the result to the caller. False when nobody waits for it (one-way, or the caller timed out). */
  resolve(value: unknown): boolean {
    return this.#settle(false, value);
  }

  /** Hand the error to the caller. False when nobody waits for it (one-way, or the caller timed out). */
  reject(error: unknown): boolean {
    return this.#settle(true, error);
  }

  #settle(failed: boolean, value: unknown): boolean {
    const answer = this.#answer;
    if (answer === undefined) return false;
    this.#answer = undefined;
    cancelTimer(this.#timer);
    this.#timer = undefined;
    answer(failed, value);
    return true;
  }
}
