// Where every error went: the rejections a test received and the logger's entries. An error counts once
// per receiver; every error our services injected must have exactly one receiver.
import { expect } from "chai";
import type { recordingLogger } from "../../support/helpers.js";
import { isA, show } from "./system.js";

/** Who received an error, and the AggregateErrors it came in (outermost first; none if it came alone). */
export interface Receiver {
  readonly via: string;
  readonly within: readonly unknown[];
}

export class Ledger {
  private readonly reports: ({ error: unknown } & Receiver)[] = [];

  /** `via` received `error` (an AggregateError counts as each of its errors). */
  receive(via: string, error: unknown, within: unknown[] = []): void {
    if (isA(error, AggregateError))
      for (const e of (error as AggregateError).errors) this.receive(via, e, [...within, error]);
    else this.reports.push({ error, via, within });
  }

  /**
   * Close the books: the logger's entries become reports (an entry without an error is unexpected), each
   * error must have one receiver (unless `mayRepeat` allows more), and each injected one must be received.
   * Returns the errors that were not injected, each with its first receiver, for the test to judge.
   */
  close(
    logger: ReturnType<typeof recordingLogger>,
    injected: readonly unknown[],
    mayRepeat: (error: unknown, receivers: Receiver[]) => boolean = () => false,
  ): Map<unknown, string> {
    for (const entry of logger.entries) {
      const [error] = entry.rest;
      // An injected value is logged as itself, whatever it is; anything else logged must be an Error.
      if (!injected.includes(error)) {
        expect(isA(error, Error), `log entry with an error: ${entry.level} ${entry.msg}`).to.equal(true);
      }
      this.receive(`logger.${entry.level}(${entry.msg})`, error);
    }
    const receivers = new Map<unknown, Receiver[]>();
    for (const r of this.reports) receivers.set(r.error, [...(receivers.get(r.error) ?? []), r]);
    // A primitive (`undefined`, `0`, `""`, …) can be thrown n times. Equal primitives cannot be told apart,
    // and the library rightly takes one that equals a cancellation's reason (a sibling's failure, a scope's
    // cancel reason) for the echo of that cancellation: such a value is received at least once and at most
    // n times. Any other value is received exactly once.
    const thrown = new Map<unknown, number>();
    for (const error of injected) thrown.set(error, (thrown.get(error) ?? 0) + 1);
    for (const [error, rs] of receivers) {
      const vias = rs.map((r) => r.via);
      if (mayRepeat(error, rs)) continue;
      const times = thrown.get(error) ?? 1;
      const primitive =
        error === null ||
        (typeof error !== "object" && typeof error !== "function" && typeof error !== "symbol");
      const what = `${show(error)} is reported ${primitive ? `1 to ${times}` : times} time(s), not by ${vias.join(", ")}`;
      if (primitive) expect(vias.length, what).to.be.within(1, times);
      else expect(vias, what).to.have.length(times);
    }
    for (const error of injected) {
      expect(receivers.has(error), `injected ${show(error)} is reported`).to.equal(true);
    }
    const rest = new Map<unknown, string>();
    for (const [error, rs] of receivers) if (!injected.includes(error)) rest.set(error, rs[0]!.via);
    return rest;
  }
}
