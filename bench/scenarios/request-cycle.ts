import type { Scenario } from "./scenario.js";
import { allocationPerCall } from "../allocation.js";
import { formatBytes, formatPercent } from "../format.js";
import { timeOp } from "../timing.js";

export const requestCycle: Scenario = {
  id: "C",
  title: "one request: create a scope, resolve Handler, dispose the scope",
  unit: "ns/op",
  async measure(adapter, { budget, allocation }) {
    const value = await timeOp(() => adapter.requestCycle(), budget);
    // Counted after the timing, untimed: the heap profiler is off while the clock runs.
    const allocated = await allocationPerCall(() => adapter.requestCycle(), allocation);
    return { value, extras: { allocBytes: allocated.bytes, allocObjects: allocated.objects } };
  },
  describe({ median, max, min }) {
    const bytes = median.allocBytes!;
    const spread = bytes === 0 ? 0 : (max.allocBytes! - min.allocBytes!) / Math.abs(bytes);
    return `allocates ${formatBytes(bytes)} in ${median.allocObjects!.toFixed(0)} objects per cycle (spread ${formatPercent(spread)})`;
  },
};
