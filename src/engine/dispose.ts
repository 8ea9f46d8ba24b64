/** Disposing one value: noMoreDependents hooks, the disposer, the dispose timeout. */
import { DisposeTimeoutError } from "../errors.js";
import { isThenable, type MaybePromise, noop } from "../internal/maybe.js";
import { hooksOf } from "../internal/metadata.js";
import { cancelTimer, startTimer } from "../internal/timer.js";
import { logSafely } from "../logger.js";
import { InstanceRecord } from "./model.js";

export function runNoMoreDependents(record: InstanceRecord, errors: unknown[]): MaybePromise<void> {
  if (record.noMoreDependents) record.noMoreDependents.resolve();
  let hooks: ReturnType<typeof hooksOf>;
  try {
    // Finding the hooks reads the value's constructor, which may throw: that is the disposal's error.
    hooks = hooksOf(record.value);
  } catch (err) {
    errors.push(err);
    return;
  }
  if (!hooks || hooks.nmd.length === 0) return;
  return callEach(record.value, hooks.nmd, 0, errors);
}

function callEach(
  value: unknown,
  names: (string | symbol)[],
  from: number,
  errors: unknown[],
): MaybePromise<void> {
  for (let i = from; i < names.length; i++) {
    let p: Promise<unknown> | undefined;
    try {
      const r = ((value as Record<string | symbol, unknown>)[names[i]!] as () => unknown).call(value);
      // Whether it returned a thenable is a probe of a user value too: its `then` getter may throw.
      if (isThenable(r)) p = Promise.resolve(r);
    } catch (err) {
      errors.push(err);
      continue;
    }
    if (p !== undefined) {
      return p.then(
        () => callEach(value, names, i + 1, errors),
        (err: unknown) => {
          errors.push(err);
          return callEach(value, names, i + 1, errors);
        },
      );
    }
  }
}

/** Step 2: the registration's `dispose`, else `[Symbol.asyncDispose]`, `[Symbol.dispose]`, `dispose()`. */
export function disposeValue(record: InstanceRecord, errors: unknown[]): MaybePromise<void> {
  const task = record.serviceTask;
  if (task && !record.reg.dispose) {
    // A useService instance is cleaned up by its own function, which returns after noMoreDependents(): what
    // it throws then is the disposal's error. A crash was reported when it happened, and a function cancelled
    // after its disposal timed out rejects with that cancellation, which is no error of its own.
    const ended = task.then(noop, (err: unknown) => {
      if (!record.crashed && !task.isCancelled) throw err;
    });
    return bounded(record, ended, errors);
  }
  return disposeBuilt(record, record.value, errors);
}

/** Run the disposer of `value` (also for a value whose creation failed after it was built). */
export function disposeBuilt(record: InstanceRecord, value: unknown, errors: unknown[]): MaybePromise<void> {
  const r = runDisposer(record, value, errors);
  return r === undefined ? undefined : bounded(record, r, errors);
}

export function hasDisposeTimeout(record: InstanceRecord): boolean {
  return (record.reg.disposeTimeoutMs ?? record.reg.host.defaultDisposeTimeoutMs) !== undefined;
}

/**
 * Call the disposer of `value`: undefined when it is done (a synchronous throw lands in `errors`), else its
 * promise, which may reject.
 */
export function runDisposer(
  record: InstanceRecord,
  value: unknown,
  errors: unknown[],
): Promise<unknown> | undefined {
  const custom = record.reg.dispose;
  const starter = record.reg.host.serviceStarter;
  let r: unknown;
  try {
    if (custom) r = custom(value);
    else if (starter && starter.isService(value)) r = starter.stop(value);
    else if (value !== null && (typeof value === "object" || typeof value === "function")) {
      const v = value as Record<symbol | string, unknown>;
      if (typeof v[Symbol.asyncDispose] === "function")
        r = (v[Symbol.asyncDispose] as () => unknown).call(value);
      else if (typeof v[Symbol.dispose] === "function") r = (v[Symbol.dispose] as () => unknown).call(value);
      else if (typeof v.dispose === "function") r = (v.dispose as () => unknown).call(value);
    }
    // What the disposer returned is probed too (its `then` getter, a Promise's `constructor`, may throw).
    if (!isThenable(r)) return;
    return Promise.resolve(r);
  } catch (err) {
    errors.push(err);
    return;
  }
}

/** Wait for a disposal, at most `disposeTimeoutMs`: then abandon it with a `DisposeTimeoutError` (3.6). */
export function bounded(record: InstanceRecord, work: Promise<unknown>, errors: unknown[]): Promise<void> {
  const container = record.reg.host;
  const ms = record.reg.disposeTimeoutMs ?? container.defaultDisposeTimeoutMs;
  if (ms === undefined) return work.then(noop, (err: unknown) => void errors.push(err));
  return new Promise<void>((resolve) => {
    let timedOut = false;
    const timer = startTimer(ms, () => {
      timedOut = true;
      errors.push(new DisposeTimeoutError(record.name, ms));
      resolve();
    });
    work.then(
      () => {
        cancelTimer(timer);
        resolve();
      },
      (err: unknown) => {
        cancelTimer(timer);
        if (timedOut)
          logSafely(container.logger, "warn", `Abandoned disposal of ${record.name} failed later`, err);
        else errors.push(err);
        resolve();
      },
    );
  });
}
