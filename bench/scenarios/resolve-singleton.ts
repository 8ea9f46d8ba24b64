import type { Scenario } from "./scenario.js";
import { formatDuration } from "../format.js";
import { timeOp } from "../timing.js";

export const resolveSingleton: Scenario = {
  id: "A",
  title: "resolve a ready singleton",
  unit: "ns/op",
  async measure(adapter, { budget }) {
    const value = await timeOp(() => adapter.resolveSingleton(), budget);
    const extras: Record<string, number> = {};
    const lookup = adapter.lookupSingleton;
    if (lookup) extras.lookupNs = await timeOp(() => lookup.call(adapter), budget);
    const awaited = adapter.resolveSingletonAwaited;
    if (awaited) extras.awaitedNs = await timeOp(() => awaited.call(adapter), budget);
    return Object.keys(extras).length ? { value, extras } : { value };
  },
  describe({ median }) {
    const notes: string[] = [];
    if (median.lookupNs !== undefined)
      notes.push(`synchronous lookup() of the ready instance: ${formatDuration(median.lookupNs)}`);
    if (median.awaitedNs !== undefined)
      notes.push(
        `the same through an already-resolved promise, awaited: ${formatDuration(median.awaitedNs)}`,
      );
    return notes.join("; ");
  },
};
