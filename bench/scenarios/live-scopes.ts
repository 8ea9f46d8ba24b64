import type { Adapter } from "../adapter.js";
import type { Scenario } from "./scenario.js";
import { settledHeap } from "../timing.js";
import { formatBytes } from "../format.js";

/** Opens `scopes.length` scopes with their Handler resolved, reading the heap with all of them alive. */
async function openAll(adapter: Adapter, scopes: unknown[]): Promise<void> {
  for (let i = 0; i < scopes.length; i++) {
    const scope = adapter.createScope();
    await adapter.resolveHandler(scope);
    scopes[i] = scope;
  }
}

async function disposeAll(adapter: Adapter, scopes: unknown[]): Promise<void> {
  for (let i = 0; i < scopes.length; i++) {
    await adapter.disposeScope(scopes[i]);
    scopes[i] = undefined;
  }
}

export const liveScopes: Scenario = {
  id: "D",
  title: "heap per live scope (10,000 open, each with its Handler resolved), and retained after disposal",
  unit: "bytes/scope",
  async measure(adapter, { liveScopes: count }) {
    const scopes: unknown[] = new Array(count).fill(undefined);
    // A full untimed pass first: the code it compiles stays in the heap and is not scope memory.
    await openAll(adapter, scopes);
    await disposeAll(adapter, scopes);
    const before = await settledHeap();
    await openAll(adapter, scopes);
    const live = await settledHeap();
    await disposeAll(adapter, scopes);
    const after = await settledHeap();
    return { value: (live - before) / count, extras: { retainedPerScope: (after - before) / count } };
  },
  describe({ median }) {
    return `retained after disposal ${formatBytes(median.retainedPerScope!)}/scope`;
  },
};
