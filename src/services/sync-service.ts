import { ConfigurationError } from "../errors.js";
import { planGraph, type GraphKind, type Plan } from "./dependency-graph.js";
import { EXTERNAL, Holds, type Holder, type Phase } from "./record.js";
import { combineErrors } from "../internal/maybe.js";

/**
 * The blocking variant of {@link Service}: synchronous `start()` and `stop()`, dependencies started one
 * after another (a flat list) and stopped in reverse. A dependency shared by several services starts
 * once and stops after the last of them; every stop runs, whatever failed before it. There are no
 * background tasks and no `wait()`.
 *
 * @example
 * ```ts
 * class Config extends SyncService { override start() { this.values = readConfig(); } }
 * class Cli extends SyncService {
 *   readonly config = new Config();
 *   override get dependencies() { return [this.config]; }
 * }
 * using cli = startServiceSync(new Cli()); // Config, then Cli; stopped in reverse at the end of the block
 * ```
 */
export abstract class SyncService implements Disposable {
  /**
   * What this service needs running before it starts, started in order and stopped in reverse.
   *
   * @example
   * ```ts
   * override get dependencies() { return [this.config, this.cache]; }
   * ```
   */
  get dependencies(): SyncService[] {
    return [];
  }

  /**
   * The name used in every message about this service. Default: the class name.
   *
   * @example
   * ```ts
   * override get name() { return "config"; }
   * ```
   */
  get name(): string {
    return this.constructor.name || "SyncService";
  }

  /**
   * True once `start()` has returned, false again before `stop()` runs.
   *
   * @example
   * ```ts
   * startServiceSync(svc); svc.running; // true
   * ```
   */
  get running(): boolean {
    return recordOf(this).phase === "running";
  }

  /**
   * Start this service; its dependencies are running already. Throwing fails the start: the
   * dependencies started for it are stopped again, and this service's `stop()` is not called.
   *
   * @example
   * ```ts
   * override start() { this.file = openSync(path, "a"); }
   * ```
   */
  start(): void {}

  /**
   * Stop this service; its dependencies are still running.
   *
   * @example
   * ```ts
   * override stop() { closeSync(this.file); }
   * ```
   */
  stop(): void {}

  /** The same as `stopServiceSync(this)`, for `using`. */
  [Symbol.dispose](): void {
    stopServiceSync(this);
  }
}

/**
 * Start a {@link SyncService}: its dependencies first, in order, then itself. The graph is validated
 * before any `start()` runs. A failed start stops what it started, in reverse, and throws the error
 * (with the stop errors, if any, as an `AggregateError` whose first entry is the start error). On a
 * running service it starts nothing and counts one more reference.
 *
 * @example
 * ```ts
 * using cli = startServiceSync(new Cli());
 * ```
 */
export function startServiceSync<S extends SyncService>(service: S): S & Disposable {
  acquire(service, EXTERNAL, planGraph<SyncService>(service, syncGraph));
  return service;
}

/**
 * Stop a {@link SyncService} started with {@link startServiceSync}: itself first, then its
 * dependencies in reverse order. Every stop runs; one error is rethrown as itself, several as an
 * `AggregateError`. It drops one reference: a no-op on a service that is not running, and a service
 * only running as somebody's dependency keeps running.
 *
 * @example
 * ```ts
 * const cli = startServiceSync(new Cli());
 * try { cli.run(); } finally { stopServiceSync(cli); }
 * ```
 */
export function stopServiceSync(service: SyncService): void {
  if (!recordOf(service).holds.has(EXTERNAL)) return;
  const errors: unknown[] = [];
  release(service, EXTERNAL, errors);
  if (errors.length > 0) throw combineErrors(errors, `the stop of ${service.name}`);
}

interface SyncRecord {
  phase: Phase;
  readonly holds: Holds;
  acquired: SyncService[];
}

const records = new WeakMap<SyncService, SyncRecord>();

function recordOf(service: SyncService): SyncRecord {
  let record = records.get(service);
  if (record === undefined)
    records.set(service, (record = { phase: "idle", holds: new Holds(), acquired: [] }));
  return record;
}

const syncGraph: GraphKind<SyncService> = { base: SyncService, levels: 1 };

function acquire(service: SyncService, holder: Holder, plan: Plan<SyncService>): void {
  const record = recordOf(service);
  if (record.phase === "running") return record.holds.add(holder);
  if (record.phase !== "idle") {
    throw new ConfigurationError(
      `SyncService ${service.name} was asked to start while it is ${record.phase}: ` +
        `a start() or stop() hook started its own stack again.`,
    );
  }
  record.phase = "starting";
  const acquired: SyncService[] = (record.acquired = []);
  try {
    for (const [dep] of plan.get(service)!) {
      acquire(dep!, service, plan);
      acquired.push(dep!);
    }
    service.start();
  } catch (error) {
    const errors = [error];
    releaseAll(service, acquired, errors);
    record.phase = "idle";
    throw combineErrors(errors, `the start of ${service.name}`);
  }
  record.phase = "running";
  record.holds.add(holder);
}

function release(service: SyncService, holder: Holder, errors: unknown[]): void {
  const record = recordOf(service);
  if (!record.holds.drop(holder) || !record.holds.empty || record.phase !== "running") return;
  record.phase = "stopping";
  try {
    service.stop();
  } catch (error) {
    errors.push(error);
  }
  releaseAll(service, record.acquired, errors);
  record.phase = "idle";
}

function releaseAll(holder: SyncService, deps: readonly SyncService[], errors: unknown[]): void {
  for (let i = deps.length - 1; i >= 0; i--) release(deps[i]!, holder, errors);
}
