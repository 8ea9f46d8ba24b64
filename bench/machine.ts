// The machine and the versions a run was measured with.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  /** 1-minute load average when the run started and when it ended: other work shares the cores. */
  readonly load: readonly [start: number, end: number];
  readonly os: string;
  readonly node: string;
  readonly versions: ReadonlyMap<string, string>;
}

const require = createRequire(import.meta.url);

/** The installed version, read from `node_modules` the way Node looks packages up (not every package exports its package.json). */
function packageVersion(name: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, "node_modules", name, "package.json");
    if (existsSync(file)) return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    if (dirname(dir) === dir) return "?";
  }
}

function asyncscopeVersion(): string {
  const { version } = require("asyncscope/package.json") as { version: string };
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    return `${version} (${commit})`;
  } catch {
    return version;
  }
}

/** The 1-minute load average now. */
export function loadAverage(): number {
  return os.loadavg()[0]!;
}

export function describeMachine(packages: readonly string[], loadAtStart: number): Machine {
  const cpus = os.cpus();
  const versions = new Map<string, string>();
  for (const name of packages)
    versions.set(name, name === "asyncscope" ? asyncscopeVersion() : packageVersion(name));
  versions.set("mitata", packageVersion("mitata"));
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    load: [loadAtStart, loadAverage()],
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    versions,
  };
}
