/** A failed creation: tear down what it built and acquired; carry dependency errors so each is reported once. */
import { combineErrors, isPromise, type MaybePromise, pushAll } from "../internal/maybe.js";
import { disposeBuilt } from "./dispose.js";
import { giveUp, isAbandonEcho } from "./flight.js";
import { type Carry, InstanceRecord } from "./model.js";
import { releaseDeps } from "./release.js";

export const carries = new WeakMap<object, Carry>();

export function carryOf(err: unknown): Carry | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  let carry = carries.get(err);
  if (!carry) carries.set(err, (carry = { carriers: 0, received: false, report: undefined }));
  return carry;
}

/**
 * Report an error of an abandoned creation; one a dependency passed on to it is reported only if no
 * requester received it, once the last dependent carrying it is done (SEMANTICS 4.5: reported once).
 */
export function reportOnce(record: InstanceRecord, error: unknown, report: () => void): void {
  const carry = typeof error === "object" && error !== null ? carries.get(error) : undefined;
  if (carry && record.carrying?.includes(carry)) carry.report ??= report;
  else report();
}

/** The creation is over: it no longer carries its dependencies' errors (which a requester got, if `received`). */
export function dropCarried(record: InstanceRecord, received: boolean): void {
  const carrying = record.carrying;
  record.carrying = undefined;
  for (const carry of carrying ?? []) {
    if (received) carry.received = true;
    if (--carry.carriers === 0 && !carry.received) carry.report?.();
  }
}

export function afterFailure(record: InstanceRecord, err: unknown): never | Promise<never> {
  // The creation has failed: forget it now, so that the next resolve starts afresh while this one still
  // releases what it acquired (SEMANTICS 2.2), and let it acquire nothing more.
  record.failing = true;
  record.unmap();
  if (record.childWaiters) for (const w of [...record.childWaiters]) giveUp(w, err);
  // A background task that failed while it started failed the creation first; what failed after it comes
  // next, unless it is only the echo of the cancellation that failure caused (SEMANTICS 4.2).
  const failures = (from: number): unknown[] =>
    (record.pendingFailures ?? []).slice(from).filter((e) => !isAbandonEcho(record, e));
  const early = record.pendingFailures?.length ?? 0;
  const pending = failures(0);
  const errors: unknown[] =
    pending.length === 0
      ? [err]
      : pending.includes(err) || isAbandonEcho(record, err)
        ? pending
        : [...pending, err];
  const own = record.ownScope;
  const built = record.built;
  // A useService function that already registered waits for this to clean up before it returns.
  record.noMoreDependents?.resolve();
  const steps = (): MaybePromise<void> => {
    const d = built !== undefined ? disposeBuilt(record, built.value, errors) : undefined;
    const afterDispose = (): MaybePromise<void> => {
      const c = own ? own.whenClosedQuietly(errors) : undefined;
      return isPromise(c) ? c.then(() => releaseDeps(record, errors)) : releaseDeps(record, errors);
    };
    return isPromise(d) ? d.then(afterDispose) : afterDispose();
  };
  if (own) own.cancel();
  const r = steps();
  const fail = (): never => {
    // Failures that reached it while it was torn down (a dependency crashing meanwhile) come last.
    pushAll(errors, failures(early));
    record.failureTeardown = errors.slice(1);
    throw combineErrors(errors, `creating ${record.name}`);
  };
  return isPromise(r) ? r.then(fail) : fail();
}
