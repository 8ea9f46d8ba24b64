// Helpers of the hardening suite (issue 12): hang detection and the checks every engine property ends with.
import { expect } from "chai";
import type { Container } from "asyncscope";
import { flattenErrors, recordingLogger, settle } from "../../support/helpers.js";

export const HANG = "hang" as const;

/** Settle `p`, or report a hang when it has not settled after `ms` (a bound on hangs, not a speed check). */
export async function settleOrHang<T>(
  p: Promise<T>,
  ms = 4000,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | typeof HANG> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<typeof HANG>((resolve) => {
    timer = setTimeout(() => resolve(HANG), ms);
  });
  try {
    return await Promise.race([settle(p), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** The errors of a settled outcome (none when it succeeded), AggregateErrors flattened. */
export function errorsOf(outcome: { ok: boolean; error?: unknown } | typeof HANG): unknown[] {
  if (outcome === HANG) throw new Error("hung");
  return outcome.ok ? [] : flattenErrors(outcome.error);
}

/** Close the container: it must terminate, leave nothing alive, and warn about nothing still held. */
export async function closeCleanly(
  c: Container,
  logger: ReturnType<typeof recordingLogger>,
): Promise<unknown[]> {
  const closed = await settleOrHang(c.close());
  expect(closed, "container.close() hung").to.not.equal(HANG);
  expect(c.inspect().instances).to.deep.equal([]);
  expect(logger.entries.filter((e) => / still /.test(e.msg)).map((e) => e.msg)).to.deep.equal([]);
  return errorsOf(closed);
}
