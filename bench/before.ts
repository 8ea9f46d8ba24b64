// `--before <rev>`: the library as it was at a git revision, built into scratch/bench-before/<short rev>/
// (gitignored) with this checkout's own compiler, and loaded beside the current build, so that one run
// measures both ("before and after in one run"). The build is reused while its dist/ exists.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { AsyncscopeAdapter, type AsyncscopeLibrary } from "./adapters/asyncscope.js";

/** What the build at `rev` is: its short hash (the adapter is `asyncscope@<short>`) and where it lives. */
export interface BeforeBuild {
  readonly short: string;
  readonly dir: string;
}

function git(root: string, args: readonly string[]): string {
  return execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
}

/** Builds `rev`'s src/ (with its tsconfig) unless already built; throws with the compiler's output if it fails. */
export function buildBefore(rev: string, root = process.cwd()): BeforeBuild {
  let short: string;
  try {
    short = git(root, ["rev-parse", "--short", `${rev}^{commit}`]);
  } catch (error) {
    throw new Error(`--before ${rev}: not a commit of this repository (try a hash, a tag or HEAD~1)`, {
      cause: error,
    });
  }
  const dir = resolve(root, "scratch", "bench-before", short);
  if (existsSync(join(dir, "dist", "index.js"))) return { short, dir };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = ["src", "package.json", "tsconfig.json", "tsconfig.base.json"].filter(
    (path) => git(root, ["ls-tree", "--name-only", short, path]) !== "",
  );
  const archive = execFileSync("git", ["archive", "--format=tar", short, ...files], {
    cwd: root,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  // tsyringe and reflect-metadata resolve to this checkout's copies: one metadata registry for both builds.
  symlinkSync(realpathSync(join(root, "node_modules")), join(dir, "node_modules"), "dir");
  try {
    execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(dir, "tsconfig.json")], {
      cwd: dir,
      encoding: "utf8",
      stdio: "pipe",
    });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? String(error);
    rmSync(join(dir, "dist"), { recursive: true, force: true });
    throw new Error(`--before ${rev}: its src/ does not compile:\n${output}`, { cause: error });
  }
  if (!existsSync(join(dir, "dist", "index.js"))) throw new Error(`--before ${rev}: no dist/index.js built`);
  return { short, dir };
}

/** The asyncscope adapter over the build at `rev`, named `asyncscope@<short rev>`. */
export async function beforeAdapter(rev: string): Promise<AsyncscopeAdapter> {
  const build = buildBefore(rev);
  const lib = (await import(pathToFileURL(join(build.dir, "dist", "index.js")).href)) as AsyncscopeLibrary;
  return new AsyncscopeAdapter(`asyncscope@${build.short}`, lib);
}
