/**
 * Options of {@link Scope.spawn}.
 *
 * @example
 * ```ts
 * scope.spawn(async (signal) => poll(signal), { name: "poller", awaited: false });
 * ```
 */
export interface SpawnOptions {
  /** Shown in logs and `ShutdownTimeoutError.pending`. */
  name?: string;
  /** Default true: an error cancels the scope and surfaces from `close()`. False: it goes to the logger. */
  bubble?: boolean;
  /** Default false: when this task ends, the scope closes. */
  master?: boolean;
  /** Default true: `close()` waits for it. False: it is cancelled once the awaited work is over. */
  awaited?: boolean;
  /** Default 1000: how long a cancelled task may take before it is reported as stuck and no longer awaited. */
  cancelTimeoutMs?: number;
}

/**
 * A handle on a running task. Awaiting it before it fails takes over its error (it no longer bubbles).
 *
 * @example
 * ```ts
 * const task = scope.spawn(async () => 3);
 * console.log(await task); // 3
 * ```
 */
export interface Task<T> extends PromiseLike<T> {
  readonly name: string;
  /** True once the task has settled. */
  readonly done: boolean;
  /** Aborted when the task is cancelled (by itself, its scope, or a timeout). */
  readonly signal: AbortSignal;
  /** Cancel this task only. Never throws; the first reason wins. */
  cancel(reason?: unknown): void;
}
