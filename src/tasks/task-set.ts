import type { Logger } from "../logger.js";
import type { AmbientScope } from "../internal/ambient.js";
import { deferred, type Deferred } from "../internal/maybe.js";
import type { SpawnOptions } from "./task.js";
import { TaskImpl, type TaskOwner } from "./task-impl.js";

/** The group a task set belongs to, as its tasks see it: what `currentScope()` returns, and its name. */
export type TaskSetGroup = AmbientScope & { readonly name: string };

/**
 * The running tasks of one group, made on its first spawn (most scopes never spawn). It is the owner
 * every task reports to: it keeps the count of awaited tasks, wakes whoever waits for a change, and
 * passes what concerns the group on to it (`onGone`, `onFailed`).
 */
export class TaskSet implements TaskOwner {
  /** Tasks still waited for, in spawn order (a stuck one leaves when it is given up). */
  readonly running = new Set<TaskImpl<unknown>>();
  /** How many of `running` are awaited (`close()` waits for them before cancelling the rest). */
  awaited = 0;
  private seq = 0;
  private change: Deferred<void> | undefined = undefined;

  constructor(
    readonly ambient: TaskSetGroup,
    readonly logger: Logger,
    private readonly onGone: (task: TaskImpl<unknown>) => void,
    private readonly onFailed: (error: unknown) => void,
  ) {}

  get name(): string {
    return this.ambient.name;
  }

  get size(): number {
    return this.running.size;
  }

  /** Start `fn` as a task of this set (a body task is named "body"; the others `task-<n>`). */
  spawn<T>(fn: (signal: AbortSignal) => Promise<T> | T, options: SpawnOptions, isBody: boolean): TaskImpl<T> {
    const task = new TaskImpl<T>(this, fn, options, isBody ? "body" : `task-${++this.seq}`);
    this.running.add(task as TaskImpl<unknown>);
    if (task.awaited) this.awaited++;
    task.start();
    return task;
  }

  /** TaskOwner: a task settled or was given up as stuck. */
  taskGone(task: TaskImpl<unknown>): void {
    if (!this.running.delete(task)) return;
    if (task.awaited) this.awaited--;
    if (this.change) {
      const change = this.change;
      this.change = undefined;
      change.resolve();
    }
    this.onGone(task);
  }

  /** TaskOwner: a task failed unobserved and bubbles to the group. */
  taskFailed(_task: TaskImpl<unknown>, error: unknown): void {
    this.onFailed(error);
  }

  /** Cancel every running task with `reason` (`undefined`: each its own `CancelledError`). */
  cancelAll(reason: unknown): void {
    for (const task of this.running) task.cancel(reason);
  }

  /** Settles once the awaited tasks are over. */
  async awaitedDone(): Promise<void> {
    while (this.awaited !== 0) await this.nextChange();
  }

  /** Settles once every task is over. */
  async allDone(): Promise<void> {
    while (this.running.size !== 0) await this.nextChange();
  }

  /** `task <name> (scope <group>)` for each task still running, into `out` (for ShutdownTimeoutError). */
  pendingNames(out: string[]): void {
    for (const t of this.running) if (!t.gone) out.push(`task ${t.name} (scope ${this.name})`);
  }

  private nextChange(): Promise<void> {
    return (this.change ??= deferred<void>()).promise;
  }
}
