import { CancelledError, describe, isCancellation } from "../errors.js";
import { logSafely } from "../logger.js";
import { combineErrors } from "../internal/maybe.js";
import { addAbortCallback, removeAbortCallback } from "../internal/on-abort.js";
import { checkMs } from "../internal/timer.js";
import { ErrorLog, reportStuck, within } from "./settle.js";
import { closeTasks } from "./close-tasks.js";
import { planGraph, type GraphKind } from "./dependency-graph.js";
import {
  EXTERNAL,
  recordOf,
  Session,
  StartCall,
  type Holder,
  type ServiceRecord,
  type Waiter,
} from "./record.js";
import { Service } from "./service.js";
import { releaseAll, stopOwn } from "./stop-run.js";
import type { ServiceNode } from "./service-node.js";

/**
 * Start a service and, first, its dependencies: the outer list one after another, each inner array in
 * parallel. The whole graph is validated before any `start()` runs (`ConfigurationError` for nesting
 * deeper than two levels or a non-service entry, `CycleError` for a cycle). A dependency shared by
 * several services starts once. Resolves with the same object, which `await using` stops again.
 *
 * A failed start rejects with the error itself (identity): the dependencies already started are
 * stopped in reverse order, the failed service's own `stop()` is not called, and the service can be
 * started again later, by another call: within one call, a service whose start failed is not started
 * again, and every dependent that asks for it gets the same error. In a parallel group the first
 * failure aborts the `start` signal of the siblings still starting. A background task that crashes
 * before the whole stack is up fails the start the same way. On a running service it starts nothing
 * and counts one more reference (balance each `startService` with one `stopService`).
 *
 * @example
 * ```ts
 * await using app = await startService(new App()); // Db, Cache, then App
 * await app.wait();                                 // until it stops; rejects if a task crashed
 * ```
 */
export async function startService<S extends Service>(service: S): Promise<S & AsyncDisposable> {
  const call = new StartCall(planGraph<Service>(service, serviceGraph));
  await acquire(service, EXTERNAL, call);
  return service;
}

const serviceGraph: GraphKind<Service> = {
  base: Service,
  levels: 2,
  check(service) {
    for (const key of ["gracefulShutdownTimeoutMs", "cancelTimeoutMs"] as const) {
      checkMs(service[key], key, `Service ${service.name}`);
    }
  },
};

/**
 * Take one reference on `service` for `holder`, starting it first when it is not running. A service
 * whose start failed earlier in the same call is not started again: the call gets that failure.
 */
async function acquire(service: ServiceNode, holder: Holder, call: StartCall, signal?: AbortSignal) {
  const record = recordOf(service);
  for (;;) {
    signal?.throwIfAborted();
    const failed = call.failed.get(service);
    if (failed !== undefined) throw failed.error;
    if (record.phase === "running") return record.holds.add(holder);
    if (record.phase === "idle") startRun(service, record, call);
    // A stop, or a start that is being abandoned, is waited for; then it starts afresh.
    if (!record.joinable) {
      await untilSettled(record.phase === "stopping" ? record.stopping : record.starting, signal);
      continue;
    }
    return join(service, record, holder, call, signal);
  }
}

function startRun(service: ServiceNode, record: ServiceRecord, call: StartCall): void {
  const session = new Session(call.plan.get(service) ?? []);
  const controller = new AbortController();
  record.phase = "starting";
  record.session = session;
  record.startController = controller;
  record.abortCause = undefined;
  record.hook = undefined;
  record.hookSettledFirst = undefined;
  record.starting = runStart(service, record, session, call, controller.signal);
}

/** Wait for a start under way. If the last waiter gives up, the start is aborted (SEMANTICS 2.4). */
function join(
  service: ServiceNode,
  record: ServiceRecord,
  holder: Holder,
  call: StartCall,
  signal?: AbortSignal,
) {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      record.waiters.delete(waiter);
      if (record.waiters.size > 0) return reject(signal!.reason);
      record.abandonStart(service.name, signal!.reason);
      void awaitAbandoned(service, record).then(() => reject(signal!.reason));
    };
    const waiter: Waiter = {
      holder,
      call,
      resolve: () => {
        if (signal) removeAbortCallback(signal, onAbort);
        resolve();
      },
      reject: (error) => {
        if (signal) removeAbortCallback(signal, onAbort);
        reject(error);
      },
    };
    record.waiters.add(waiter);
    if (signal) addAbortCallback(signal, onAbort);
  });
}

/** An aborted start gets cancelTimeoutMs to wind down before it is reported as stuck (SEMANTICS 5.5). */
async function awaitAbandoned(service: ServiceNode, record: ServiceRecord): Promise<void> {
  const limit = service.cancelTimeoutMs;
  const settled = await within(
    record.starting.then(() => true),
    limit,
  );
  if (settled === undefined) reportStuck(service, "start()", limit);
}

function untilSettled(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) return promise;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    addAbortCallback(signal, onAbort);
    void promise.then(() => {
      removeAbortCallback(signal, onAbort);
      resolve();
    });
  });
}

/** One start attempt: dependencies group by group, then start(). Never rejects: it settles the waiters. */
async function runStart(
  service: ServiceNode,
  record: ServiceRecord,
  session: Session,
  call: StartCall,
  signal: AbortSignal,
): Promise<void> {
  let started = false;
  try {
    for (const group of session.dependencies) {
      signal.throwIfAborted();
      await acquireGroup(service, group, session, call, signal);
    }
    signal.throwIfAborted();
    record.hook = service.start(signal);
    await record.hook;
    started = true;
    signal.throwIfAborted();
  } catch (error) {
    return failStart(service, record, session, call, error, started, signal);
  }
  record.phase = "running";
  record.startController = undefined;
  const waiters = [...record.waiters];
  record.waiters.clear();
  for (const waiter of waiters) record.holds.add(waiter.holder);
  for (const waiter of waiters) waiter.resolve();
}

/**
 * Start one group in parallel, launched in array order (SEMANTICS 9.1). The first failure aborts the
 * members still starting; members that finished are recorded, so that the caller releases them.
 */
async function acquireGroup(
  holder: ServiceNode,
  group: readonly ServiceNode[],
  session: Session,
  call: StartCall,
  signal: AbortSignal,
): Promise<void> {
  const acquired: (ServiceNode | undefined)[] = [];
  session.acquired.push(acquired);
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  addAbortCallback(signal, onAbort);
  let failure: { error: unknown } | undefined;
  try {
    await Promise.all(
      group.map((dep, i) =>
        acquire(dep, holder, call, controller.signal).then(
          () => void (acquired[i] = dep),
          (error: unknown) => {
            // Anything but our own cancellation was delivered before we gave up: it came first.
            if (error !== controller.signal.reason) session.startFailure ??= { error };
            if (failure !== undefined) return;
            failure = { error };
            const why = `${holder.name}'s dependency ${dep.name} failed: ${describe(error)}`;
            controller.abort(new CancelledError(why, { cause: error }));
          },
        ),
      ),
    );
  } finally {
    removeAbortCallback(signal, onAbort);
  }
  if (failure !== undefined) throw failure.error;
}

/**
 * A failed start (SEMANTICS 6.2): its background tasks are cancelled and the dependencies it acquired
 * released in reverse order; its own stop() runs only if start() resolved after its signal aborted.
 * Every waiter receives the same error: whichever came first of a dependency's failure and the abort's
 * cause, else what start() threw. The calls it belongs to keep that error for the service.
 */
async function failStart(
  service: ServiceNode,
  record: ServiceRecord,
  session: Session,
  call: StartCall,
  error: unknown,
  started: boolean,
  signal: AbortSignal,
): Promise<void> {
  // What came first wins: a dependency's failure, else the abort's cause, else what start() threw. A
  // start() that had failed before its last waiter gave up failed by itself: nobody is left to receive it.
  const failedFirst = !started && record.hookSettledFirst !== undefined && (await record.hookSettledFirst);
  const primary = failedFirst ? error : (session.startFailure ?? record.abortCause ?? { error }).error;
  if (primary !== error && !isCancellation(error, signal.reason)) {
    logSafely(
      service.logger,
      "warn",
      `Service ${service.name}: its start failed after it was cancelled`,
      error,
    );
  }
  record.startController = undefined;
  const log = new ErrorLog();
  if (started) await stopOwn(service, log);
  await closeTasks(service, session);
  await releaseAll(service, session, log);
  record.phase = "idle";
  const failure = combineErrors([primary, ...log.errors], `the start of ${service.name}`);
  session.done.reject(failure);
  const waiters = [...record.waiters];
  record.waiters.clear();
  // Unless every waiter gave up first, the calls involved do not start it again: a dependent of theirs
  // that comes later (its own failure may be on its way to the group that would abort it) gets this one.
  if (record.abortCause === undefined || failedFirst) {
    for (const involved of [call, ...waiters.map((waiter) => waiter.call)]) {
      involved.failed.set(service, { error: failure });
    }
  }
  if (waiters.length === 0 && log.errors.length > 0) {
    logSafely(
      service.logger,
      "error",
      `Service ${service.name}: cleaning up its abandoned start failed`,
      failure,
    );
  }
  for (const waiter of waiters) waiter.reject(failure);
}
