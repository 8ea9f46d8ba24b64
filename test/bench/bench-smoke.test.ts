// The benchmark's quick run, as a smoke test: every scenario runs for every adapter, the semantic check
// passes, and BENCHMARKS.md is left alone. No timing is asserted here; speed belongs in `npm run bench`.
import { expect } from "chai";
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const SCENARIOS = ["A", "B", "C", "D", "E", "F", "G", "H"];
const ADAPTERS = ["asyncscope", "tsyringe", "inversify", "awilix", "typedi", "baseline"];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function quickRun(...extra: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--expose-gc", "build/bench/run.js", "--quick", ...extra],
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

  it("counts the bytes and objects one request cycle allocates, for every adapter", () => {
    const counted = ADAPTERS.filter((adapter) =>
      new RegExp(
        `^\\| C \\| ${adapter} \\|.*allocates -?[\\d.]+ K?B in -?\\d+ objects per cycle \\(spread [\\d.]+%\\)`,
        "m",
      ).test(run.stdout),
    );
    expect(counted).to.deep.equal(ADAPTERS);
  });

  it("has no before-and-after table without --before", () => {
    expect(run.stdout).not.to.include("### asyncscope vs");
  });

  it("leaves BENCHMARKS.md alone", () => {
    expect(mtime(`${root}BENCHMARKS.md`)).to.equal(benchmarksBefore);
    if (benchmarksBefore !== undefined)
      expect(readFileSync(`${root}BENCHMARKS.md`, "utf8")).to.include("bench:begin");
  });
});

describe("the benchmark's quick run with --before (a build of another revision beside this one)", function () {
  this.timeout(120_000);
  let run: Run;
  let short: string;

  before(async () => {
    short = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    run = await quickRun("--before", "HEAD", "--scenario", "C");
  });

  it("exits with code 0 and passes the semantic check for the build of HEAD too", () => {
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include("Every adapter builds the same graph.");
    expect(run.stdout).to.match(new RegExp(`^\\| check \\| asyncscope \\| asyncscope@${short} \\|`, "m"));
  });

  it("runs C for asyncscope@<rev> beside asyncscope, allocations counted", () => {
    expect(run.stdout).to.match(new RegExp(`^\\| C \\| asyncscope \\|[^\\n]*allocates`, "m"));
    expect(run.stdout).to.match(new RegExp(`^\\| C \\| asyncscope@${short} \\|[^\\n]*allocates`, "m"));
  });

  it("prints the before-and-after table: ratios (median over median, and round by round) for time, bytes and objects per request cycle", () => {
    expect(run.stdout).to.include(`### asyncscope vs asyncscope@${short}`);
    for (const metric of [
      "C: request cycle (time)",
      "C: bytes allocated per cycle",
      "C: objects allocated per cycle",
    ]) {
      expect(run.stdout).to.match(
        new RegExp(
          `^\\| ${escape(metric)} \\|[^\\n]*\\| [\\d.]+× \\| [\\d.]+× \\([\\d.]+×–[\\d.]+×\\) \\|$`,
          "m",
        ),
      );
    }
  });

  it("builds the revision under scratch/ (gitignored)", () => {
    expect(existsSync(`${root}scratch/bench-before/${short}/dist/index.js`)).to.equal(true);
  });

  it("refuses a revision that is not a commit with exit code 2 and says what to pass", async () => {
    const bad = await quickRun("--before", "no-such-revision", "--scenario", "C");
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("--before no-such-revision: not a commit of this repository");
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
