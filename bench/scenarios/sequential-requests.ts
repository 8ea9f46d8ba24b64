import type { Scenario } from "./scenario.js";
import { settledHeap } from "../timing.js";
import { formatBytes } from "../format.js";
import { median, slope } from "../stats.js";

/**
 * Heap readings taken along the run; the growth is the fitted slope, so one noisy reading does not
 * decide it. The time per request is the median over the segments between readings, so that a burst
 * of load from elsewhere on the machine does not either.
 */
const SAMPLES = 10;

export const sequentialRequests: Scenario = {
  id: "H",
  title: "100,000 sequential request scopes: time per request, heap growth",
  unit: "ns/op",
  async measure(adapter, { requests }) {
    for (let i = 0; i < 1000; i++) await adapter.requestCycle();
    const done: number[] = [0];
    const heap: number[] = [await settledHeap()];
    const perRequest: number[] = [];
    for (let sample = 1; sample <= SAMPLES; sample++) {
      const count = Math.round((requests * sample) / SAMPLES) - done[done.length - 1]!;
      const start = performance.now();
      for (let i = 0; i < count; i++) await adapter.requestCycle();
      perRequest.push(((performance.now() - start) * 1e6) / count);
      done.push(done[done.length - 1]! + count);
      heap.push(await settledHeap());
    }
    return {
      value: median(perRequest),
      extras: { bytesPerRequest: slope(done, heap), heapGrowth: heap[heap.length - 1]! - heap[0]! },
    };
  },
  describe({ median }) {
    return `heap ${median.bytesPerRequest! >= 0 ? "+" : ""}${median.bytesPerRequest!.toFixed(2)} B/request (${formatBytes(median.heapGrowth!)} first to last)`;
  },
};
