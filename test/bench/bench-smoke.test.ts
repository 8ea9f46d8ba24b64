// The benchmark's quick run, as a smoke test: every scenario runs for every adapter, the semantic check
// passes, and BENCHMARKS.md is left alone. No timing is asserted here; speed belongs in `npm run bench`.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const SCENARIOS = ["A", "B", "C", "D", "E", "F", "G", "H"];
const ADAPTERS = ["asyncscope", "tsyringe", "inversify", "awilix", "typedi", "baseline"];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function quickRun(): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--expose-gc", "build/bench/run.js", "--quick"],
      { cwd: root, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number | null) : 0, stdout, stderr }),
    );
  });
}

function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

describe("the benchmark's quick run", function () {
  this.timeout(120_000);
  let run: Run;
  let benchmarksBefore: number | undefined;

  before(async () => {
    benchmarksBefore = mtime(`${root}BENCHMARKS.md`);
    run = await quickRun();
  });

  it("exits with code 0", () => {
    expect(run.code, run.stderr).to.equal(0);
  });

  it("passes the semantic check for every adapter that ran", () => {
    expect(run.stdout).to.include("Every adapter builds the same graph.");
  });

  it("prints a row for every scenario and adapter", () => {
    const rows = new Set(
      run.stdout
        .split("\n")
        .map((line) => /^\| ([A-H]) \| (\w+) \|/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `${m[1]}/${m[2]}`),
    );
    const expected = SCENARIOS.flatMap((s) => ADAPTERS.map((a) => `${s}/${a}`));
    expect(expected.filter((row) => !rows.has(row))).to.deep.equal([]);
  });

  it("shows the floors beside the targets asyncscope misses: the hand-written request, an awaited promise", () => {
    expect(run.stdout).to.match(
      /C \(request cycle\) at most 1\.0 µs \| [^|]*\(the hand-written floor: [\d.]+ [nµm]?s\)/,
    );
    expect(run.stdout).to.match(
      /B \(resolve in a scope\)[^|]*\|[^|]*an awaited, already-resolved promise alone: [\d.]+ [nµm]?s/,
    );
  });

  it("reports no failed measurement", () => {
    expect(run.stdout).not.to.match(/n\/a: failed:/);
  });

  it("leaves BENCHMARKS.md alone", () => {
    expect(mtime(`${root}BENCHMARKS.md`)).to.equal(benchmarksBefore);
    if (benchmarksBefore !== undefined)
      expect(readFileSync(`${root}BENCHMARKS.md`, "utf8")).to.include("bench:begin");
  });
});
