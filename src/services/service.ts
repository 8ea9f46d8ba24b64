import { NotStartedError } from "../errors.js";
import { consoleLogger, type Logger } from "../logger.js";
import type { Task } from "../task.js";
import { noop } from "../internal/maybe.js";
import { BackgroundTask } from "./background-task.js";
import { crash } from "./crash.js";
import { recordOf } from "./record.js";
import { stopHeld } from "./stop-run.js";

/**
 * A facet-style service: override `start` and `stop`, list what it needs in `dependencies`, run
 * background work with `addTask`. {@link startService} starts the dependencies first and then the
 * service; {@link stopService} stops it first and then the dependencies, in reverse. A background task
 * that throws brings the whole stack down, and `wait()` rejects with its error.
 *
 * No `super` calls are needed in the hooks; the lifecycle state lives outside the object.
 *
 * @example
 * ```ts
 * class Db extends Service {
 *   override async start() { await connect(); }
 *   override async stop() { await disconnect(); }
 * }
 * class Api extends Service {
 *   constructor(readonly db = new Db()) { super(); }
 *   override get dependencies() { return [this.db]; }
 *   override async start() {
 *     this.addTask(async (signal) => { while (!signal.aborted) await poll(signal); });
 *   }
 * }
 * await using api = await startService(new Api()); // Db starts, then Api
 * ```
 */
export abstract class Service implements AsyncDisposable {
  /**
   * What this service needs running before it starts. The outer list starts one after another; the
   * services in an inner array start in parallel. Deeper nesting is a `ConfigurationError`. Stopping
   * goes in exactly the reverse order. Default: none.
   *
   * @example
   * ```ts
   * override get dependencies() { return [[this.db, this.cache], this.queue]; } // db ∥ cache, then queue
   * ```
   */
  get dependencies(): (Service | Service[])[] {
    return [];
  }

  /**
   * How long this service's own `stop()` may take (default 10 000 ms). Then its signal aborts, the
   * dependencies are stopped all the same, and `stopService` rejects with a `TimeoutError`.
   *
   * @example
   * ```ts
   * override get gracefulShutdownTimeoutMs() { return 60_000; }
   * ```
   */
  get gracefulShutdownTimeoutMs(): number {
    return 10_000;
  }

  /**
   * How long a cancelled `start()`, `stop()` or background task may take to settle before it is
   * reported to the logger as stuck and no longer waited for (default 1000 ms).
   *
   * @example
   * ```ts
   * override get cancelTimeoutMs() { return 200; }
   * ```
   */
  get cancelTimeoutMs(): number {
    return 1000;
  }

  /**
   * True once `start()` has finished, false again before `stop()` runs (false inside both hooks).
   *
   * @example
   * ```ts
   * if (!service.running) await startService(service);
   * ```
   */
  get running(): boolean {
    return recordOf(this).phase === "running";
  }

  /**
   * The name used in every message about this service. Default: the class name.
   *
   * @example
   * ```ts
   * override get name() { return `Worker(${this.queue})`; }
   * ```
   */
  get name(): string {
    return this.constructor.name || "Service";
  }

  /**
   * Where errors that nobody receives go: a crash nobody waits for, a task that throws while it is
   * cancelled, a hook stuck after its signal aborted. Default: the console. Assign one, or override
   * the getter in a base class of your services.
   *
   * @example
   * ```ts
   * service.logger = pino();
   * ```
   */
  get logger(): Logger {
    return recordOf(this).logger ?? consoleLogger;
  }
  /** Use another logger for this service (default: the console). */
  set logger(logger: Logger) {
    recordOf(this).logger = logger;
  }

  /**
   * Start this service; its dependencies are running already. `addTask()` works from here on. The
   * signal aborts when the start is abandoned (a sibling in a parallel group failed, a background
   * task crashed). Throwing fails the start; `stop()` is then not called.
   *
   * @example
   * ```ts
   * override async start(signal: AbortSignal) { this.conn = await connect({ signal }); }
   * ```
   */
  async start(_signal: AbortSignal): Promise<void> {}

  /**
   * Stop this service; its dependencies are still running. The signal aborts when
   * `gracefulShutdownTimeoutMs` runs out. Its background tasks are cancelled after it returns.
   *
   * @example
   * ```ts
   * override async stop(signal: AbortSignal) { await this.server.close({ signal }); }
   * ```
   */
  async stop(_signal: AbortSignal): Promise<void> {}

  /**
   * Run `fn` in the background while the service runs. Its signal aborts when the service stops
   * (after `stop()`), and the stop waits for it. If it throws, the whole stack stops and `wait()`
   * rejects with that error, unless the returned handle was awaited before it failed (then the
   * awaiter receives the error instead). Returning normally changes nothing. Throws
   * `NotStartedError` when the service is not started.
   *
   * @example
   * ```ts
   * this.addTask(async (signal) => { for await (const msg of queue.listen({ signal })) handle(msg); });
   * ```
   */
  addTask<T>(fn: (signal: AbortSignal) => Promise<T>): Task<T> {
    const record = recordOf(this);
    const session = record.session;
    if (session === undefined || record.phase === "idle" || session.tasksClosed) {
      throw new NotStartedError(`Service ${this.name}`);
    }
    const number = ++session.tasksAdded;
    const name = fn.name ? `${this.name}.${fn.name}` : `${this.name} task #${number}`;
    const task = new BackgroundTask(
      name,
      fn,
      () => this.logger,
      (error) => crash(this, error),
    );
    session.tasks.add(task);
    void task.ended.then(() => session.tasks.delete(task));
    return task;
  }

  /**
   * Wait until this service stops: resolves after a clean stop, rejects with the error of the
   * background task that crashed the stack (or with the start's error if the start failed). After a
   * stop it settles at once the same way; before the first start it rejects with `NotStartedError`.
   *
   * @example
   * ```ts
   * const app = await startService(new App());
   * process.once("SIGTERM", () => void stopService(app));
   * await app.wait();
   * ```
   */
  wait(): Promise<void> {
    const session = recordOf(this).session;
    if (session === undefined) return Promise.reject(new NotStartedError(`Service ${this.name}`));
    session.markWaited();
    return session.done.promise.then(noop);
  }

  /** The same as `stopService(this)`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return stopHeld(this);
  }
}
