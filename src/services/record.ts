// The lifecycle state of each service object, kept beside it so that subclasses need no super() calls
// and cannot collide with it. Internal.
import { CancelledError, describe } from "../errors.js";
import type { Logger } from "../logger.js";
import { deferred, noop } from "../internal/maybe.js";
import type { BackgroundTask } from "./background-task.js";
import type { Plan } from "./dependency-graph.js";
import { settledAlready } from "./settle.js";
import type { ServiceNode } from "./service-node.js";

/** The holder of the references taken by `startService` callers (as opposed to dependent services). */
export const EXTERNAL: unique symbol = Symbol("asyncscope.services.external");
export type Holder = object | typeof EXTERNAL;

/** References to one service, counted per holder: a dependent service or {@link EXTERNAL}. */
export class Holds {
  readonly #counts = new Map<Holder, number>();
  add(holder: Holder): void {
    this.#counts.set(holder, (this.#counts.get(holder) ?? 0) + 1);
  }
  /** Drop one reference of `holder`; false when it held none. */
  drop(holder: Holder): boolean {
    const n = this.#counts.get(holder);
    if (n === undefined) return false;
    if (n > 1) this.#counts.set(holder, n - 1);
    else this.#counts.delete(holder);
    return true;
  }
  /** Drop every reference of `holder`. */
  dropAll(holder: Holder): void {
    this.#counts.delete(holder);
  }
  has(holder: Holder): boolean {
    return this.#counts.has(holder);
  }
  get empty(): boolean {
    return this.#counts.size === 0;
  }
  holders(): Holder[] {
    return [...this.#counts.keys()];
  }
}

/** A background-task failure that brought a stack down; `observed` once someone will receive it. */
export interface Crash {
  readonly error: unknown;
  observed: boolean;
}

/** One run of a service, from the start of its start to the end of its stop. */
export class Session {
  /** Settles when the run is over: resolves after a clean stop, rejects after a crash or failed start. */
  readonly done = deferred<void>();
  /** Dependencies acquired so far, per group, at their index in the group: what the stop releases. */
  readonly acquired: (ServiceNode | undefined)[][] = [];
  readonly tasks = new Set<BackgroundTask>();
  /** Set when the tasks are being cancelled: addTask() refuses from then on. */
  tasksClosed = false;
  tasksAdded = 0;
  /** Someone called wait() during this run. */
  waited = false;
  crash: Crash | undefined;
  /** The first failure of a dependency during the start: it came before any abort, and wins over it. */
  startFailure: { readonly error: unknown } | undefined;
  constructor(readonly dependencies: readonly ServiceNode[][]) {
    this.done.promise.catch(noop);
  }
  /** wait() was called: a crash of this run has an audience. */
  markWaited(): void {
    this.waited = true;
    if (this.crash !== undefined) this.crash.observed = true;
  }
  /** Record the first crash of this run. */
  crashWith(crash: Crash): void {
    this.crash ??= crash;
    if (this.waited) this.crash.observed = true;
  }
}

/**
 * One `startService` call: the graph it validated, and the services whose start failed during it. Such a
 * service is not started again within the call; whoever in it asks for it later gets that failure.
 */
export class StartCall {
  readonly failed = new Map<ServiceNode, { readonly error: unknown }>();
  constructor(readonly plan: Plan<ServiceNode>) {}
}

/** A dependent (or startService caller) waiting for a service that is starting. */
export interface Waiter {
  readonly holder: Holder;
  /** The startService call it belongs to. */
  readonly call: StartCall;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * idle → starting → running → stopping → idle; a failed start goes starting → idle. `start-service.ts`
 * and `stop-service.ts` make the transitions.
 */
export type Phase = "idle" | "starting" | "running" | "stopping";

export class ServiceRecord {
  phase: Phase = "idle";
  readonly holds = new Holds();
  readonly waiters = new Set<Waiter>();
  /** The current run, or the last one once idle; undefined before the first start. */
  session: Session | undefined;
  /** The signal given to `start()` and the dependency starts, while starting. */
  startController: AbortController | undefined;
  /** Why the start was aborted: what its waiters receive instead of the cancellation. */
  abortCause: { readonly error: unknown } | undefined;
  /** The promise of `start()` once the run has called it. */
  hook: Promise<void> | undefined;
  /** Whether `start()` had settled already when its last waiter gave up; asked only then. */
  hookSettledFirst: Promise<boolean> | undefined;
  /** Settles (never rejects) when the current start attempt is over. */
  starting: Promise<void> = Promise.resolve();
  /** Settles (never rejects) when the current stop is over. */
  stopping: Promise<void> = Promise.resolve();
  /** The current or last stop's result for coalesced stopService() callers: its errors combined. */
  stopResult: Promise<void> = Promise.resolve();
  /** runService() calls in progress: a crash of this service's stack has an audience. */
  runners = 0;
  logger: Logger | undefined;

  /** Whether a start is under way that new waiters may still join. */
  get joinable(): boolean {
    return this.phase === "starting" && this.startController?.signal.aborted === false;
  }

  /** Abort the start under way: its signal fires, and its waiters receive `cause` once it has wound down. */
  abortStart(name: string, cause: unknown): void {
    if (!this.joinable) return;
    this.abortCause = { error: cause };
    this.startController!.abort(
      new CancelledError(`Starting ${name} was cancelled: ${describe(cause)}`, { cause }),
    );
  }

  /**
   * Abort the start its last waiter gave up. A `start()` that had failed already (its rejection not yet
   * handled) was not cancelled: that is asked before the signal fires.
   */
  abandonStart(name: string, cause: unknown): void {
    if (!this.joinable) return;
    if (this.hook !== undefined) this.hookSettledFirst = settledAlready(this.hook);
    this.abortStart(name, cause);
  }
}

const records = new WeakMap<object, ServiceRecord>();

export function recordOf(service: object): ServiceRecord {
  let record = records.get(service);
  if (record === undefined) records.set(service, (record = new ServiceRecord()));
  return record;
}
