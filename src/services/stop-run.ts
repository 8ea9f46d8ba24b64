// Stopping a service: dropping references, its own stop(), its tasks, then its dependencies in reverse
// (SEMANTICS 6.2, 6.3, 3.3). `stopService` (stop-service.ts) is the public entry point. Internal.
import { isCancellation, TimeoutError } from "../errors.js";
import { logSafely } from "../logger.js";
import { combineErrors, noop } from "../internal/maybe.js";
import { ErrorLog, outcomeOf, reportStuck, within } from "./settle.js";
import { closeTasks } from "./close-tasks.js";
import { EXTERNAL, recordOf, type Crash, type Holder, type ServiceRecord, type Session } from "./record.js";
import type { ServiceNode } from "./service-node.js";

/** The body of {@link stopService}: drop one reference taken by `startService`, stopping it when last. */
export async function stopHeld(service: ServiceNode): Promise<void> {
  const record = recordOf(service);
  while (record.phase === "starting") await record.starting;
  if (record.phase === "stopping") return record.stopResult;
  if (record.phase !== "running" || !record.holds.has(EXTERNAL)) return;
  if (release(service, EXTERNAL, new ErrorLog()) !== undefined) return record.stopResult;
}

/**
 * Drop one reference of `holder`; when it was the last one, stop the service and return that stop
 * (which never rejects: its errors go to `log`).
 */
export function release(service: ServiceNode, holder: Holder, log: ErrorLog, crash?: Crash) {
  const record = recordOf(service);
  if (!record.holds.drop(holder) || !record.holds.empty || record.phase !== "running") return undefined;
  return stopRunning(service, record, log, crash);
}

/** Stop a running service that nobody holds any more (or that a crash brought down). Never rejects. */
export function stopRunning(service: ServiceNode, record: ServiceRecord, parentLog: ErrorLog, crash?: Crash) {
  const session = record.session!;
  if (crash !== undefined) session.crashWith(crash);
  // SEMANTICS 6.2: `running` is false before stop() runs.
  record.phase = "stopping";
  const log = new ErrorLog(parentLog);
  record.stopping = (async () => {
    // 1. Its own stop(), bounded by gracefulShutdownTimeoutMs (SEMANTICS 6.3, 9.7).
    await stopOwn(service, log);
    // 2. Its background tasks, cancelled and awaited after its stop() (SEMANTICS 6.4).
    await closeTasks(service, session);
    // 3. Its dependencies in reverse order; every release runs whatever failed before (SEMANTICS 3.3).
    await releaseAll(service, session, log, session.crash);
    // 4. The run is over: wait() resolves, or rejects with the crash that ended it.
    record.phase = "idle";
    const ended = session.crash;
    if (ended === undefined) session.done.resolve();
    else session.done.reject(combineErrors([ended.error, ...log.errors], `the stop of ${service.name}`));
  })();
  record.stopResult = record.stopping.then(() => {
    if (log.errors.length > 0) throw combineErrors(log.errors, `the stop of ${service.name}`);
  });
  record.stopResult.catch(noop);
  return record.stopping;
}

/** Release what a run acquired: the last group first, the members of a group in parallel. */
export async function releaseAll(holder: ServiceNode, session: Session, log: ErrorLog, crash?: Crash) {
  for (let i = session.acquired.length - 1; i >= 0; i--) {
    const group = session.acquired[i]!.filter((dep): dep is ServiceNode => dep !== undefined);
    await Promise.all(group.map((dep) => release(dep, holder, log, crash)));
  }
}

/**
 * Run the service's own stop() (SEMANTICS 9.7): when gracefulShutdownTimeoutMs runs out, its signal
 * aborts and a TimeoutError is recorded; it then gets cancelTimeoutMs more to settle before it is
 * reported as stuck. Errors go to `log`; never rejects.
 */
export async function stopOwn(service: ServiceNode, log: ErrorLog): Promise<void> {
  const controller = new AbortController();
  const stopping = outcomeOf(() => service.stop(controller.signal));
  const limit = service.gracefulShutdownTimeoutMs;
  const outcome = await within(stopping, limit);
  if (outcome !== undefined) {
    if (outcome.failed) log.add(outcome.error);
    return;
  }
  const timeout = new TimeoutError(
    `Service ${service.name} did not stop within its gracefulShutdownTimeoutMs (${limit} ms); ` +
      `its stop() was cancelled and its dependencies stopped.`,
    limit,
  );
  controller.abort(timeout);
  log.add(timeout);
  const grace = service.cancelTimeoutMs;
  const late = await within(stopping, grace);
  if (late === undefined) {
    reportStuck(service, "stop()", grace);
  } else if (late.failed && !isCancellation(late.error, controller.signal.reason)) {
    logSafely(
      service.logger,
      "warn",
      `Service ${service.name}: stop() threw after it was cancelled`,
      late.error,
    );
  }
}
