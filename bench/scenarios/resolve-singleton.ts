import type { Scenario } from "./scenario.js";
import { formatDuration } from "../format.js";
import { timeOp } from "../timing.js";

export const resolveSingleton: Scenario = {
  id: "A",
  title: "resolve a ready singleton",
  unit: "ns/op",
  async measure(adapter, { budget }) {
    const value = await timeOp(() => adapter.resolveSingleton(), budget);
    const lookup = adapter.lookupSingleton;
    if (!lookup) return { value };
    return { value, extras: { lookupNs: await timeOp(() => lookup.call(adapter), budget) } };
  },
  describe({ median }) {
    return median.lookupNs === undefined
      ? ""
      : `synchronous lookup() of the ready instance: ${formatDuration(median.lookupNs)}`;
  },
};
