import type { Scenario } from "./scenario.js";
import { settledHeap } from "../timing.js";
import { formatBytes } from "../format.js";

export const liveScopes: Scenario = {
  id: "D",
  title: "heap per live scope (10,000 open, each with its Handler resolved), and retained after disposal",
  unit: "bytes/scope",
  async measure(adapter, { liveScopes: count }) {
    // Warm the paths first, so that compiled code and inline caches are not counted as scope memory.
    for (let i = 0; i < 100; i++) await adapter.requestCycle();
    const scopes: unknown[] = new Array(count).fill(undefined);
    const before = await settledHeap();
    for (let i = 0; i < count; i++) {
      const scope = adapter.createScope();
      await adapter.resolveHandler(scope);
      scopes[i] = scope;
    }
    const live = await settledHeap();
    for (let i = 0; i < count; i++) {
      await adapter.disposeScope(scopes[i]);
      scopes[i] = undefined;
    }
    const after = await settledHeap();
    return { value: (live - before) / count, extras: { retainedPerScope: (after - before) / count } };
  },
  describe({ median }) {
    return `retained after disposal ${formatBytes(median.retainedPerScope!)}/scope`;
  },
};
