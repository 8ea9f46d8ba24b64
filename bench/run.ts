// `npm run bench`: the semantic check, then every scenario for every adapter over several rounds (the
// adapter order rotated each round), then the report on stdout and in BENCHMARKS.md.
// Exit code 1 when an adapter builds a different graph or a measurement throws.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isNotApplicable, type Adapter } from "./adapter.js";
import { createAdapters, PEERS, SUBJECT } from "./adapters/index.js";
import { beforeAdapter } from "./before.js";
import { checkAdapter, type Check } from "./graph.js";
import { describeMachine, loadAverage } from "./machine.js";
import { parseOptions, type Options } from "./options.js";
import { renderReport, writeReport } from "./report.js";
import { scenarios as allScenarios } from "./scenarios/index.js";
import type { Measurement, Scenario } from "./scenarios/scenario.js";
import { rotate } from "./stats.js";
import { summarize, type Cell } from "./summary.js";
import { evaluateTargets } from "./targets.js";
import { enableAsyncContextTracking } from "./timing.js";

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? error.name) : String(error);
}

async function measureOnce(
  scenario: Scenario,
  adapter: Adapter,
  options: Options,
): Promise<Measurement | string> {
  await adapter.setup();
  try {
    const result = await scenario.measure(adapter, options.settings);
    return isNotApplicable(result) ? result.na : result;
  } finally {
    await adapter.teardown();
  }
}

async function main(options: Options): Promise<number> {
  const adapters = createAdapters().filter((a) => !options.adapters || options.adapters.has(a.name));
  let before: string | undefined;
  if (options.before !== undefined) {
    log(`building ${options.before} …`);
    let adapter: Adapter;
    try {
      adapter = await beforeAdapter(options.before);
    } catch (error) {
      log(error instanceof Error ? error.message : String(error));
      return 2;
    }
    before = adapter.name;
    // Beside the current build, rotated with the others each round.
    adapters.splice(adapters.findIndex((a) => a.name === SUBJECT) + 1, 0, adapter);
  }
  const scenarios = allScenarios.filter((s) => !options.scenarios || options.scenarios.has(s.id));
  let failed = false;
  const loadAtStart = loadAverage();
  enableAsyncContextTracking();

  log("semantic check …");
  const checks: Check[] = [];
  for (const adapter of adapters) checks.push(...(await checkAdapter(adapter, options.settings.chain)));
  for (const check of checks.filter((c) => c.status === "fail")) {
    log(`  ✗ ${check.adapter}: ${check.name}: ${check.detail}`);
    failed = true;
  }

  const cells = new Map<string, { rounds: Measurement[]; na: string | undefined }>();
  const cellOf = (scenario: Scenario, adapter: string) => {
    const key = `${scenario.id}/${adapter}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { rounds: [], na: undefined }));
    return cell;
  };
  if (!failed) {
    for (let round = 0; round < options.rounds; round++) {
      for (const scenario of scenarios) {
        for (const adapter of rotate(adapters, round)) {
          const cell = cellOf(scenario, adapter.name);
          if (cell.na !== undefined) continue;
          try {
            const result = await measureOnce(scenario, adapter, options);
            if (typeof result === "string") cell.na = result;
            else cell.rounds.push(result);
          } catch (error) {
            cell.na = `failed: ${errorText(error)}`;
            log(
              `  ✗ ${scenario.id} ${adapter.name}: ${error instanceof Error ? error.stack : String(error)}`,
            );
            failed = true;
          }
        }
        log(`round ${round + 1}/${options.rounds}: ${scenario.id} done`);
      }
    }
  }

  const order = [SUBJECT, ...(before ? [before] : []), ...PEERS, "baseline"];
  const names = adapters.map((a) => a.name).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const rows: Cell[] = [];
  for (const scenario of scenarios) {
    for (const name of names) {
      const cell = cells.get(`${scenario.id}/${name}`);
      const na = cell ? cell.na : "not run (the semantic check failed)";
      rows.push({ scenario, adapter: name, rounds: cell?.rounds ?? [], na });
    }
  }
  const summaries = summarize(rows);
  const markdown = renderReport({
    machine: describeMachine([SUBJECT, ...PEERS, "reflect-metadata"], loadAtStart),
    date: new Date(),
    rounds: options.rounds,
    quick: options.quick,
    settings: options.settings,
    checks,
    summaries,
    scenarios,
    adapters,
    targets: evaluateTargets(summaries, options.settings),
    before,
  });
  process.stdout.write(`${markdown}\n`);
  if (options.write && !failed) {
    writeReport(options.output, markdown);
    log(`wrote ${options.output}`);
  }
  return failed ? 1 : 0;
}

const options = (() => {
  try {
    return parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    log(errorText(error));
    process.exit(2);
  }
})();
if (typeof (globalThis as { gc?: unknown }).gc !== "function") {
  // Heap scenarios force collections: run again with --expose-gc.
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, "--expose-gc", fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  process.exitCode = child.status ?? 1;
} else {
  process.exitCode = await main(options);
}
