// Clocks, heap readings and the mitata calls every scenario shares.
import { AsyncLocalStorage } from "node:async_hooks";
import { do_not_optimize, measure } from "mitata";

/**
 * Turns on async context tracking for the rest of the process, before anything is measured. asyncscope
 * uses an AsyncLocalStorage (for `currentScope()`) as soon as a factory or a task runs, and on Node 20
 * that adds a hook to every promise in the process, whoever creates it. Turning it on first puts every
 * adapter, in every round, under the same conditions (the ones an asyncscope application runs in).
 */
export function enableAsyncContextTracking(): void {
  new AsyncLocalStorage<true>().run(true, () => undefined);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long mitata keeps sampling one operation (quick runs use a tiny budget). */
export interface Budget {
  readonly minCpuMs: number;
  readonly minSamples: number;
}

/**
 * Median time of one call of `op`, in nanoseconds, measured by mitata in batches. A promise returned by
 * `op` is awaited inside the timed region; its result is kept observable so that nothing is optimised away.
 */
export async function timeOp(op: () => unknown, budget: Budget): Promise<number> {
  const stats = await measure(
    () => {
      const result = op();
      do_not_optimize(result);
      return result;
    },
    { min_cpu_time: budget.minCpuMs * 1e6, min_samples: budget.minSamples },
  );
  return stats.p50;
}

/**
 * Median of a measurement that times itself: `op` runs untimed set-up and clean-up around the part it
 * times and returns that part's duration in nanoseconds (mitata's manual mode).
 */
export async function timeManual(op: () => Promise<number>, budget: Budget): Promise<number> {
  const stats = await measure(
    function* () {
      yield { manual: op };
    },
    { min_cpu_time: budget.minCpuMs * 1e6, min_samples: budget.minSamples },
  );
  return stats.p50;
}

export function nowNs(): number {
  return performance.now() * 1e6;
}

/**
 * `heapUsed` once full collections stop freeing anything. The event loop turns before each one, so that
 * WeakRefs (alive until the current job ends) and finalization callbacks get their chance.
 */
export async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("the benchmark needs --expose-gc (npm run bench passes it)");
  let heap = Infinity;
  for (let attempt = 0; attempt < 10; attempt++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const now = process.memoryUsage().heapUsed;
    if (heap - now < 1024) return Math.min(heap, now);
    heap = now;
  }
  return heap;
}
