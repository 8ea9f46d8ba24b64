// Command-line options of `npm run bench`.
import type { ScenarioId } from "./adapter.js";
import type { Settings } from "./scenarios/scenario.js";

export interface Options {
  readonly quick: boolean;
  readonly rounds: number;
  readonly write: boolean;
  readonly output: string;
  readonly scenarios: ReadonlySet<ScenarioId> | undefined;
  readonly adapters: ReadonlySet<string> | undefined;
  /** A git revision whose build runs beside the current one as `asyncscope@<rev>` (`--before`). */
  readonly before: string | undefined;
  readonly settings: Settings;
}

export const USAGE = `usage: node --expose-gc build/bench/run.js [options]
  --quick             tiny sizes, every scenario and adapter once: a smoke test (does not write BENCHMARKS.md)
  --rounds N          rounds to take the median of (default 5; 2 with --quick)
  --scenario A,C      only these scenarios (the semantic check always runs)
  --adapter x,y       only these adapters
  --no-write          print the report without writing it (implied by --quick, --scenario, --adapter)
  --out FILE          write the report here instead of BENCHMARKS.md
  --before REV        also run the library built at git revision REV, as adapter asyncscope@REV, and
                      compare the two (C, D, H, allocations); BENCH_BEFORE=REV does the same`;

const FULL: Settings = {
  budget: { minCpuMs: 250, minSamples: 12 },
  chain: { length: 200 },
  liveScopes: 10_000,
  sharedRequests: 10_000,
  factoryMs: 1,
  layered: { levels: 5, width: 20, disposeMs: 10 },
  requests: 100_000,
  allocation: { cycles: 200, windows: 5 },
};

const QUICK: Settings = {
  budget: { minCpuMs: 1, minSamples: 2 },
  chain: { length: 200 },
  liveScopes: 200,
  sharedRequests: 200,
  factoryMs: 1,
  layered: { levels: 5, width: 4, disposeMs: 2 },
  requests: 500,
  allocation: { cycles: 20, windows: 1 },
};

function list(value: string | undefined, flag: string): Set<string> {
  if (!value) throw new Error(`${flag} needs a value\n${USAGE}`);
  return new Set(value.split(",").map((item) => item.trim()));
}

export function parseOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Options {
  let quick = false;
  let rounds: number | undefined;
  let write: boolean | undefined;
  let output = "BENCHMARKS.md";
  let scenarios: Set<string> | undefined;
  let adapters: Set<string> | undefined;
  let before = env.BENCH_BEFORE || undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") quick = true;
    else if (arg === "--no-write") write = false;
    else if (arg === "--rounds") rounds = Number(argv[++i]);
    else if (arg === "--out") output = argv[++i] ?? output;
    else if (arg === "--scenario") scenarios = list(argv[++i], arg);
    else if (arg === "--adapter") adapters = list(argv[++i], arg);
    else if (arg === "--before") {
      before = argv[++i];
      if (!before) throw new Error(`--before needs a git revision\n${USAGE}`);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  rounds ??= quick ? 2 : 5;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds needs a positive integer\n${USAGE}`);
  return {
    quick,
    rounds,
    write: write ?? !(quick || scenarios || adapters),
    output,
    scenarios: scenarios as Set<ScenarioId> | undefined,
    adapters,
    before,
    settings: quick ? QUICK : FULL,
  };
}
