// Every time value and every timer of the library (README "Times"): a time is a number of milliseconds
// >= 0, or Infinity for "never"; any finite delay is honoured, also beyond what setTimeout can count.
import { ConfigurationError, describe } from "../errors.js";

/** The longest delay setTimeout counts; Node fires a longer one after 1 ms. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Check a time option: `undefined` (not given, unless `required`), a number >= 0 (-0 is 0), or Infinity
 * (never). Anything else (NaN, a negative number, a non-number) is a `ConfigurationError` naming the option
 * and where it was given.
 */
export function checkMs(value: unknown, name: string, where: string, required = false): number | undefined {
  if (typeof value === "number" ? value >= 0 : value === undefined && !required)
    return value as number | undefined;
  const got = typeof value === "number" ? String(value) : `${typeof value} ${describe(value)}`;
  throw new ConfigurationError(
    `${where}: ${name} must be a number of milliseconds >= 0 (Infinity: never); got ${got}.`,
  );
}

/** A delay longer than setTimeout counts, run as a chain of shorter ones. */
class LongTimer {
  private handle: ReturnType<typeof setTimeout> | undefined;
  constructor(
    private left: number,
    private readonly fire: () => void,
  ) {
    this.arm();
  }

  private arm(): void {
    // Infinity (or a NaN, which checkMs never lets in) is never: no timer at all.
    if (!(this.left < Infinity)) return;
    const step = Math.min(this.left, MAX_DELAY);
    this.left -= step;
    this.handle = setTimeout(() => {
      this.handle = undefined;
      if (this.left > 0) this.arm();
      else this.fire();
    }, step);
  }

  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.left = Infinity;
  }
}

/** A pending timer; `undefined` stands for none. */
export type Timer = ReturnType<typeof setTimeout> | LongTimer;

/**
 * Call `fire` after `ms` milliseconds (a validated time: >= 0 or Infinity). Up to 2^31-1 ms this is one
 * plain `setTimeout`; a longer delay re-arms until it has passed; Infinity arms nothing but still returns a
 * timer, so that "a timer is pending" reads the same for every delay. Cancel it with `cancelTimer`.
 */
export function startTimer(ms: number, fire: () => void): Timer {
  // setTimeout is looked up at each call, so that fake timers in tests apply.
  return ms <= MAX_DELAY ? setTimeout(fire, ms) : new LongTimer(ms, fire);
}

/** Cancel a timer from `startTimer`; `undefined` and an already fired or cancelled timer are fine. */
export function cancelTimer(timer: Timer | undefined): void {
  if (timer === undefined) return;
  if (timer instanceof LongTimer) timer.cancel();
  else clearTimeout(timer);
}
