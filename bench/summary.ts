// From per-round measurements to one row per scenario and adapter: medians, spread and ratios.
import type { Scenario } from "./scenarios/scenario.js";
import type { Aggregated, Measurement } from "./scenarios/scenario.js";
import { BASELINE, PEERS } from "./adapters/index.js";
import { median, spread } from "./stats.js";

/** What one scenario gave for one adapter over all rounds. */
export interface Cell {
  readonly scenario: Scenario;
  readonly adapter: string;
  readonly rounds: Measurement[];
  /** Why the adapter has no number here (the library cannot express it, or it failed). */
  readonly na: string | undefined;
}

export interface Summary {
  readonly scenario: Scenario;
  readonly adapter: string;
  readonly na: string | undefined;
  readonly median: number;
  readonly spread: number;
  readonly extras: Aggregated;
  /** The measurement of each round, in round order (for ratios taken round by round). */
  readonly rounds: readonly Measurement[];
  /** median / the baseline's median */
  readonly vsBaseline: number | undefined;
  /** median / the fastest (smallest) peer median */
  readonly vsFastestPeer: number | undefined;
}

function aggregate(rounds: readonly Measurement[]): Aggregated {
  const keys = new Set(rounds.flatMap((round) => Object.keys(round.extras ?? {})));
  const medians: Record<string, number> = {};
  const maxima: Record<string, number> = {};
  const minima: Record<string, number> = {};
  for (const key of keys) {
    const values = rounds.map((round) => round.extras?.[key]).filter((v): v is number => v !== undefined);
    medians[key] = median(values);
    maxima[key] = Math.max(...values);
    minima[key] = Math.min(...values);
  }
  return { median: medians, max: maxima, min: minima };
}

export function summarize(cells: readonly Cell[]): Summary[] {
  const medians = new Map<string, number>();
  const key = (scenario: Scenario, adapter: string) => `${scenario.id}/${adapter}`;
  for (const cell of cells) {
    if (cell.na === undefined)
      medians.set(key(cell.scenario, cell.adapter), median(cell.rounds.map((r) => r.value)));
  }
  return cells.map((cell) => {
    const mid = medians.get(key(cell.scenario, cell.adapter));
    if (cell.na !== undefined || mid === undefined) {
      return {
        ...cell,
        median: NaN,
        spread: NaN,
        extras: { median: {}, max: {}, min: {} },
        rounds: [],
        vsBaseline: undefined,
        vsFastestPeer: undefined,
      };
    }
    const baseline = medians.get(key(cell.scenario, BASELINE));
    const peers = PEERS.map((peer) => medians.get(key(cell.scenario, peer))).filter(
      (v): v is number => v !== undefined,
    );
    const fastestPeer = peers.length > 0 ? Math.min(...peers) : undefined;
    return {
      scenario: cell.scenario,
      adapter: cell.adapter,
      na: undefined,
      median: mid,
      spread: spread(cell.rounds.map((r) => r.value)),
      extras: aggregate(cell.rounds),
      rounds: cell.rounds,
      vsBaseline: baseline ? mid / baseline : undefined,
      vsFastestPeer: fastestPeer ? mid / fastestPeer : undefined,
    };
  });
}

/** The summary of one scenario and adapter, if it was measured. */
export function find(summaries: readonly Summary[], id: string, adapter: string): Summary | undefined {
  return summaries.find((s) => s.scenario.id === id && s.adapter === adapter && s.na === undefined);
}
