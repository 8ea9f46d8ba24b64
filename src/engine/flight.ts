import type { InstanceRecord, Waiter } from "./model.js";

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
