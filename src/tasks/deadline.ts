import { cancelTimer, startTimer, type Timer } from "../internal/timer.js";

/** A group's time limit (`timeoutMs`), made when one is first set: the limit and its pending timer. */
export class Deadline {
  ms: number | undefined = undefined;
  private timer: Timer | undefined = undefined;

  /** Arm (or re-arm) the limit: `onExpire` runs `remaining` ms from now, unless stopped before. */
  set(ms: number, remaining: number, onExpire: () => void): void {
    this.stop();
    this.ms = ms;
    this.timer = startTimer(remaining, () => {
      this.timer = undefined;
      onExpire();
    });
  }

  /** Disarm the timer (the limit is kept for `timeoutMs` to read). */
  stop(): void {
    cancelTimer(this.timer);
    this.timer = undefined;
  }
}
