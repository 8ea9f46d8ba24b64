// What a scenario is: one measurement of one adapter in one round, in the scenario's own unit.
import type { Adapter, NotApplicable, ScenarioId } from "../adapter.js";
import type { ChainSpec, LayeredSpec } from "../generated.js";
import type { AllocationBudget } from "../allocation.js";
import type { Budget } from "../timing.js";

/** How big each scenario is; `--quick` shrinks all of it. */
export interface Settings {
  readonly budget: Budget;
  readonly chain: ChainSpec;
  readonly liveScopes: number;
  readonly sharedRequests: number;
  readonly factoryMs: number;
  readonly layered: LayeredSpec;
  readonly requests: number;
  /** C: the windows that count what one request cycle allocates. */
  readonly allocation: AllocationBudget;
}

export type Unit = "ns/op" | "bytes/scope" | "ms";

export interface Measurement {
  readonly value: number;
  /** Secondary numbers shown in the notes column (aggregated over rounds by median and by max). */
  readonly extras?: Readonly<Record<string, number>>;
}

export interface Aggregated {
  readonly median: Readonly<Record<string, number>>;
  readonly max: Readonly<Record<string, number>>;
  readonly min: Readonly<Record<string, number>>;
}

export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  readonly unit: Unit;
  /** Runs inside `adapter.setup()` … `adapter.teardown()`. */
  measure(adapter: Adapter, settings: Settings): Promise<Measurement | NotApplicable>;
  /** The notes column for one adapter's aggregated extras. */
  describe?(extras: Aggregated, settings: Settings): string;
}
