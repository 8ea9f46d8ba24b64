// Where every error went: the rejections a test received and the logger's entries. An error counts once
// per receiver; every error our services injected must have exactly one receiver.
import { expect } from "chai";
import { flattenErrors, type recordingLogger } from "../../support/helpers.js";

export class Ledger {
  private readonly reports: { error: unknown; via: string }[] = [];

  /** `via` received `error` (an AggregateError counts as each of its errors). */
  receive(via: string, error: unknown): void {
    for (const e of flattenErrors(error)) this.reports.push({ error: e, via });
  }

  /**
   * Close the books: the logger's entries become reports (an entry without an error is unexpected), each
   * error must have one receiver, and each injected one must have been received. Returns the errors that
   * were not injected, each with its receiver, for the test to judge.
   */
  close(logger: ReturnType<typeof recordingLogger>, injected: readonly unknown[]): Map<unknown, string> {
    for (const entry of logger.entries) {
      const [error] = entry.rest;
      expect(error, `log entry with an error: ${entry.level} ${entry.msg}`).to.be.instanceOf(Error);
      this.reports.push({ error, via: `logger.${entry.level}(${entry.msg})` });
    }
    const receivers = new Map<unknown, string[]>();
    for (const r of this.reports) receivers.set(r.error, [...(receivers.get(r.error) ?? []), r.via]);
    for (const [error, vias] of receivers)
      expect(vias, `${String(error)} is reported once`).to.have.length(1);
    for (const error of injected)
      expect(receivers.has(error), `injected ${String(error)} is reported`).to.equal(true);
    const rest = new Map<unknown, string>();
    for (const [error, vias] of receivers) if (!injected.includes(error)) rest.set(error, vias[0]!);
    return rest;
  }
}
