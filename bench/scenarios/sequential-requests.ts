import type { Scenario } from "./scenario.js";
import { settledHeap } from "../timing.js";
import { formatBytes } from "../format.js";
import { slope } from "../stats.js";

/** Heap readings taken along the run; the growth is the fitted slope, so one noisy reading does not decide it. */
const SAMPLES = 10;

export const sequentialRequests: Scenario = {
  id: "H",
  title: "100,000 sequential request scopes: time per request, heap growth",
  unit: "ns/op",
  async measure(adapter, { requests }) {
    for (let i = 0; i < 1000; i++) await adapter.requestCycle();
    const done: number[] = [0];
    const heap: number[] = [await settledHeap()];
    let elapsed = 0;
    for (let sample = 1; sample <= SAMPLES; sample++) {
      const count = Math.round((requests * sample) / SAMPLES) - done[done.length - 1]!;
      const start = performance.now();
      for (let i = 0; i < count; i++) await adapter.requestCycle();
      elapsed += performance.now() - start;
      done.push(done[done.length - 1]! + count);
      heap.push(await settledHeap());
    }
    return {
      value: (elapsed * 1e6) / requests,
      extras: { bytesPerRequest: slope(done, heap), heapGrowth: heap[heap.length - 1]! - heap[0]! },
    };
  },
  describe({ median }) {
    return `heap ${median.bytesPerRequest! >= 0 ? "+" : ""}${median.bytesPerRequest!.toFixed(2)} B/request (${formatBytes(median.heapGrowth!)} first to last)`;
  },
};
