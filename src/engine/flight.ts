/** Single flight: waiters of a starting instance, giving them up, abandoning a creation nobody waits for. */
import { isCancellation, TimeoutError } from "../errors.js";
import { currentAmbient } from "../internal/ambient.js";
import { type MaybePromise } from "../internal/maybe.js";
import { addAbortCallback, removeAbortCallback } from "../internal/on-abort.js";
import { cancelTimer, startTimer, type Timer } from "../internal/timer.js";
import { ACQUIRED, type AcquireOptions, type Holder, InstanceRecord, type Waiter } from "./model.js";

// Giving up cascades down a chain of starting instances (an abandoned creation gives up what it waited for,
// and so on): one loop over an explicit stack, however long the chain; a give-up made meanwhile joins it.
let givingUp = false;
const giveUpWaiters: Waiter[] = [];
const giveUpReasons: unknown[] = [];

/** Give up a pending acquisition: it rejects with `reason`. */
export function giveUp(waiter: Waiter, reason: unknown): void {
  if (waiter.settled) return;
  giveUpWaiters.push(waiter);
  giveUpReasons.push(reason);
  if (givingUp) return;
  givingUp = true;
  try {
    while (giveUpWaiters.length > 0) giveUpNow(giveUpWaiters.pop()!, giveUpReasons.pop());
  } finally {
    givingUp = false;
    giveUpWaiters.length = 0;
    giveUpReasons.length = 0;
  }
}

function giveUpNow(waiter: Waiter, reason: unknown): void {
  if (waiter.settled) return;
  waiter.settled = true;
  waiter.cleanup();
  waiter.reject(reason);
  const record = waiter.record;
  const waiters = record.waiters;
  if (waiters) {
    waiters.delete(waiter);
    if (waiters.size === 0 && record.state === "starting") abandonCreation(record, reason);
  }
}

/**
 * Whether `error` is only the echo of the abandonment of `record`'s creation. The `abandoned` flag, not the
 * reason, says there was one: a group that failed with `undefined` gives its other members up with that very
 * reason, and their failing with it is no error of their own.
 */
export function isAbandonEcho(record: InstanceRecord, error: unknown): boolean {
  return (record.abandoned && error === record.abandonReason) || isCancellation(error, record.abandonReason);
}

/** Every waiter of a starting instance has gone: abort its creation (SEMANTICS 2.4). */
export function abandonCreation(record: InstanceRecord, reason: unknown): void {
  if (record.abandoned) return;
  record.abandoned = true;
  record.abandonReason = reason;
  record.unmap();
  if (record.ctl && !record.ctl.signal.aborted) {
    try {
      record.ctl.abort(reason);
    } catch {
      // listeners of a factory's signal are the factory's business
    }
  }
  // Last to first onto the stack (we are inside giveUp's loop), so that the first is given up first.
  const waiters = record.childWaiters ? [...record.childWaiters] : [];
  for (let i = waiters.length - 1; i >= 0; i--) giveUp(waiters[i]!, reason);
}

/**
 * Wait for a starting record as `holder`; the reference is added when it is ready. With `afterRelease`, wait
 * instead until a releasing (or crashed) record is gone, then continue with `afterRelease()`. Either wait is
 * given up like any pending resolve: with its scope (or the creation that needs it), signal or timeout.
 */
export function join(
  record: InstanceRecord,
  holder: Holder,
  options: AcquireOptions | undefined,
  afterRelease?: () => MaybePromise<unknown>,
  by?: InstanceRecord,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    let timer: Timer | undefined;
    let signal: AbortSignal | undefined;
    let ambientSignal: AbortSignal | undefined;
    let onAbort: (() => void) | undefined;
    let onAmbientAbort: (() => void) | undefined;
    const waiter: Waiter = {
      record,
      holder,
      settled: false,
      acquired: options?.[ACQUIRED],
      resolve,
      reject,
      cleanup() {
        if (!(holder instanceof InstanceRecord)) {
          holder.held.pendingWaiters?.delete(waiter);
          by?.waitingOn?.delete(record);
        } else {
          holder.childWaiters?.delete(waiter);
          holder.waitingOn?.delete(record);
        }
        cancelTimer(timer);
        if (onAbort) removeAbortCallback(signal!, onAbort);
        if (onAmbientAbort) removeAbortCallback(ambientSignal!, onAmbientAbort);
      },
      giveUp(reason: unknown) {
        giveUp(waiter, reason);
      },
    };
    if (afterRelease === undefined) (record.waiters ??= new Set()).add(waiter);
    else {
      void record.whenGone().then(() => {
        if (waiter.settled) return;
        waiter.settled = true;
        waiter.cleanup();
        try {
          resolve(afterRelease());
        } catch (err) {
          reject(err);
        }
      });
    }
    if (!(holder instanceof InstanceRecord)) {
      (holder.held.pendingWaiters ??= new Set()).add(waiter);
      // A creation waiting through a scope: the waits-for edge the cycle check follows.
      if (by !== undefined) (by.waitingOn ??= new Set()).add(record);
      signal = options?.signal;
      if (signal) {
        onAbort = () => giveUp(waiter, signal!.reason);
        addAbortCallback(signal, onAbort);
      }
      const ambient = currentAmbient();
      ambientSignal = ambient?.signal;
      if (ambientSignal && ambientSignal !== signal) {
        if (ambientSignal.aborted) {
          giveUp(waiter, ambientSignal.reason);
          return;
        }
        onAmbientAbort = () => giveUp(waiter, ambientSignal!.reason);
        addAbortCallback(ambientSignal, onAmbientAbort);
      }
      const ms = options?.timeoutMs;
      if (ms !== undefined) {
        timer = startTimer(ms, () =>
          giveUp(waiter, new TimeoutError(`Resolving ${record.name} took longer than ${ms} ms.`, ms)),
        );
      }
    } else {
      (holder.childWaiters ??= new Set()).add(waiter);
      if (afterRelease === undefined) (holder.waitingOn ??= new Set()).add(record);
    }
  });
}
/** Settle every waiter still waiting; returns whether anyone received the outcome. */
export function settleWaiters(record: InstanceRecord, settle: (w: Waiter) => void): boolean {
  const waiters = record.waiters;
  record.waiters = undefined;
  if (!waiters) return false;
  let delivered = false;
  for (const w of waiters) {
    if (w.settled) continue;
    w.settled = true;
    w.cleanup();
    delivered = true;
    settle(w);
  }
  return delivered;
}
