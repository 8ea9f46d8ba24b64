/** A creation is over: deliver its value or its error to every waiter. */
import { logSafely } from "../logger.js";
import { describeResolution, noteCreationFailure } from "../resolution-info.js";
import { holdCycle, lazyHolder } from "./cycles.js";
import { afterFailure, carries, carryOf, dropCarried, reportOnce } from "./failure.js";
import { isAbandonEcho, settleWaiters } from "./flight.js";
import { addRef } from "./holders.js";
import { InstanceRecord } from "./model.js";
import { releaseOrphan } from "./release.js";

export function creationSucceeded(record: InstanceRecord, value: unknown): void {
  if (record.pendingFailures !== undefined) {
    // Its useService function or a background task failed after the value was built but before it was
    // ready (a second register(), say): the creation fails with that error, like one that failed earlier.
    record.built = { value };
    let failing: Promise<never>;
    try {
      failing = afterFailure(record, record.pendingFailures[0]);
    } catch (err) {
      creationFailed(record, err);
      return;
    }
    failing.catch((err: unknown) => creationFailed(record, err));
    return;
  }
  record.markReady(value);
  // A dependency's creation error it got past (a factory catching ctx.resolve) reached its user code.
  dropCarried(record, true);
  let delivered = false;
  settleWaiters(record, (w) => {
    const lazy = lazyHolder(w.holder);
    const cycle = lazy !== undefined ? holdCycle(record, lazy) : undefined;
    if (cycle !== undefined) {
      // A ready instance waited for it (a lazy ctx.resolve) and it holds that instance: never handed over.
      w.reject(cycle);
      return;
    }
    delivered = true;
    addRef(record, w.holder);
    w.acquired?.push(record);
    w.resolve(value);
  });
  if (!delivered) {
    // Every requester went away while it started: dispose it at once (SEMANTICS 2.4).
    record.abandoned = true;
    record.unmap();
    void releaseOrphan(record);
  }
}

export function creationFailed(record: InstanceRecord, err: unknown, thrown = false): void {
  // Keep where it failed beside the error, which every waiter receives unwrapped (SEMANTICS 2.2).
  const primaryError = record.failureTeardown?.length ? (err as AggregateError).errors[0] : err;
  for (const e of primaryError === err ? [err] : [err, primaryError]) {
    const carried = typeof e === "object" && e !== null ? carries.get(e) : undefined;
    noteCreationFailure(e, record, carried !== undefined && record.carrying?.includes(carried) === true);
  }
  record.unmap();
  const container = record.reg.host;
  container.live.delete(record);
  record.markOver("failed");
  const carry = carryOf(err);
  let received = false;
  const delivered =
    settleWaiters(record, (w) => {
      w.reject(err);
      if (!(w.holder instanceof InstanceRecord)) received = true;
      else {
        if (carry) {
          carry.carriers++;
          (w.holder.carrying ??= []).push(carry);
        }
        // A parallel group gives up its other members now, before they can fail on their own (SEMANTICS 2.3).
        w.holder.groupFailed?.(err);
      }
    }) || thrown;
  if (carry && received) carry.received = true;
  if (!delivered) {
    // Nobody waits any more (the creation was abandoned): its teardown errors go to the container, and a
    // failure that is not the echo of the abandonment is logged (SEMANTICS 4.5).
    const teardown = record.failureTeardown ?? [];
    const primary = teardown.length ? (err as AggregateError).errors[0] : err;
    if (!isAbandonEcho(record, primary)) {
      reportOnce(record, primary, () =>
        logSafely(
          container.logger,
          "warn",
          `Abandoned ${record.name} failed${describeResolution(primary)}`,
          primary,
        ),
      );
    }
    for (const e of teardown) reportOnce(record, e, () => container.reportOrphan(e, record.name));
  }
  record.failureTeardown = undefined;
  dropCarried(record, received);
}
