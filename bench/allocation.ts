// What one call of an operation allocates: bytes from the young generation's growth over a window in
// which no collection runs, objects from V8's sampling heap profiler over a second such window (sampling every
// byte, so that every object is seen, and keeping the samples of objects that die). Both are net of an
// empty `async () => {}` driven the same way, so the driving loop and the call's own promise do not count.
import { Session } from "node:inspector";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";
import { median } from "./stats.js";

/** How much to measure: `windows` windows of `cycles` calls each; the figure is their median. */
export interface AllocationBudget {
  readonly cycles: number;
  readonly windows: number;
}

export interface Allocation {
  readonly bytes: number;
  readonly objects: number;
}

interface SampledProfile {
  readonly head: ProfileNode;
  readonly samples: readonly { readonly size: number; readonly nodeId: number }[];
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string };
  readonly children: readonly ProfileNode[];
}

let session: Session | undefined;
const gcTimes: number[] = [];

function post<T>(method: string, params?: object): T {
  if (!session) {
    session = new Session();
    session.connect();
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcTimes.push(entry.startTime);
    }).observe({ entryTypes: ["gc"] });
  }
  let result: T | undefined;
  let failure: unknown;
  // The in-process session answers synchronously.
  session.post(method, params, (error, value) => {
    failure = error;
    result = value as T;
  });
  if (failure) throw failure;
  return result!;
}

/**
 * Bytes in the young generation, where every short-lived object starts. The whole heap's `heapUsed` would
 * also move while the sweeper finishes the forced collection's work in old space.
 */
function youngBytes(): number {
  for (const space of getHeapSpaceStatistics())
    if (space.space_name === "new_space") return space.space_used_size;
  throw new Error("V8 reports no new_space");
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("the benchmark needs --expose-gc (npm run bench passes it)");
  gc();
}

/** Whether a collection started between `start` and `end` (the observer reports after a turn). */
async function collectedDuring(start: number, end: number): Promise<boolean> {
  await turn();
  return gcTimes.some((time) => time >= start && time <= end);
}

async function drive(op: () => Promise<unknown>, cycles: number): Promise<void> {
  for (let i = 0; i < cycles; i++) await op();
}

/** Frames of the profiler's own calls and of native work with no JS caller: not the operation's. */
const PROBE_FRAMES = new Set([
  "(root)",
  "post",
  "#onMessage",
  "wrappedFn",
  "getHeapSpaceStatistics",
  "youngBytes",
  "now",
]);

function countObjects(profile: SampledProfile): number {
  const frames = new Map<number, string>();
  const walk = (node: ProfileNode) => {
    frames.set(node.id, node.callFrame.functionName || "(anonymous)");
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  let objects = 0;
  for (const sample of profile.samples) if (!PROBE_FRAMES.has(frames.get(sample.nodeId)!)) objects++;
  return objects;
}

/** One window; undefined when a collection ran inside it (the figure would be wrong). */
async function window(op: () => Promise<unknown>, cycles: number): Promise<Allocation | undefined> {
  collect();
  await turn();
  let start = performance.now();
  const before = youngBytes();
  await drive(op, cycles);
  const bytes = (youngBytes() - before) / cycles;
  if (await collectedDuring(start, performance.now())) return undefined;

  collect();
  await turn();
  start = performance.now();
  post("HeapProfiler.startSampling", {
    samplingInterval: 1,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await drive(op, cycles);
  const { profile } = post<{ profile: SampledProfile }>("HeapProfiler.getSamplingProfile");
  post("HeapProfiler.stopSampling");
  if (await collectedDuring(start, performance.now())) return undefined;
  return { bytes, objects: countObjects(profile) / cycles };
}

async function windows(op: () => Promise<unknown>, budget: AllocationBudget): Promise<Allocation[]> {
  await drive(op, budget.cycles); // compiled and warm before the first window
  const results: Allocation[] = [];
  let cycles = budget.cycles;
  for (let attempt = 0; results.length < budget.windows && attempt < budget.windows * 4; attempt++) {
    const result = await window(op, cycles);
    if (result) results.push(result);
    else cycles = Math.max(1, cycles >> 1); // the new space filled up: a smaller window fits
  }
  if (results.length === 0) throw new Error("every allocation window saw a garbage collection");
  return results;
}

const empty = async (): Promise<void> => {};

/** Bytes and objects one call of `op` allocates (medians over the windows, net of an empty call). */
export async function allocationPerCall(
  op: () => Promise<unknown>,
  budget: AllocationBudget,
): Promise<Allocation> {
  const floor = await windows(empty, budget);
  const measured = await windows(op, budget);
  return {
    bytes: median(measured.map((m) => m.bytes)) - median(floor.map((m) => m.bytes)),
    objects: median(measured.map((m) => m.objects)) - median(floor.map((m) => m.objects)),
  };
}
