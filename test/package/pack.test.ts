// The package as a user gets it (issue 15): `npm pack` on a fresh clone (no dist/: the `prepare` script
// builds it), installed from the tarball into a scratch project, then imported from ESM, `require()`d
// from CommonJS, and the README's quick start compiled with TypeScript (ESM, and CommonJS on
// module nodenext) and run: it prints the README's output. The declarations type-check without
// @types/node and without reaching into tsyringe's internals.
// Offline: the tarball's dependencies are packed from this repository's node_modules.
import { expect } from "chai";
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { exampleOutput } from "../support/readme.js";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const modules = join(root, "node_modules");
const tsgo = join(modules, "@typescript/native/bin/tsc");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

async function run(cmd: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(cmd, args, { cwd, timeout: 120_000, maxBuffer: 1 << 26 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${e.stdout ?? ""}\n${e.stderr ?? ""}`, {
      cause: err,
    });
  }
}

async function pack(
  dir: string,
  into: string,
  ignoreScripts: boolean,
): Promise<{ file: string; files: string[] }> {
  const { stdout } = await run(
    npm,
    ["pack", "--json", "--pack-destination", into, ...(ignoreScripts ? ["--ignore-scripts"] : []), dir],
    into,
  );
  const [info] = JSON.parse(stdout.slice(stdout.indexOf("["))) as {
    filename: string;
    files: { path: string }[];
  }[];
  return { file: join(into, info!.filename), files: info!.files.map((f) => f.path) };
}

// The quick start as a CommonJS module cannot await at top level: the same code, in an async main.
function asCommonJs(source: string): string {
  const lines = source.split("\n");
  const imports = lines.filter((l) => l.startsWith("import "));
  const body = lines.filter((l) => !l.startsWith("import "));
  return `${imports.join("\n")}\n\nasync function main(): Promise<void> {\n${body.join("\n")}\n}\nvoid main();\n`;
}

const tsconfig = (module: "nodenext", extra: Record<string, unknown> = {}): string =>
  JSON.stringify(
    {
      compilerOptions: {
        target: "es2022",
        module,
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        types: ["node"],
        outDir: "out",
        ...extra,
      },
      include: ["*.ts"],
    },
    null,
    2,
  );

describe("the package: npm pack, install, import, require, compile the quick start", function () {
  this.timeout(180_000);
  let tmp: string;
  let project: string;
  let packed: string[];
  const quickStart = readFileSync(join(root, "examples/quick-start.ts"), "utf8");
  const expected = exampleOutput("examples/quick-start.ts");

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "asyncscope-pack-"));
    // A fresh clone: sources and build configuration, no dist/.
    const clone = join(tmp, "clone");
    mkdirSync(clone);
    for (const f of [
      "package.json",
      "tsconfig.json",
      "tsconfig.base.json",
      "README.md",
      "CHANGELOG.md",
      "LICENSE",
    ]) {
      cpSync(join(root, f), join(clone, f));
    }
    cpSync(join(root, "src"), join(clone, "src"), { recursive: true });
    cpSync(join(root, "docs"), join(clone, "docs"), {
      recursive: true,
      filter: (src) => !src.includes(`${join("docs", "api")}`),
    });
    symlinkSync(modules, join(clone, "node_modules"), "dir");
    const tarballs = join(tmp, "tarballs");
    mkdirSync(tarballs);
    const ours = await pack(clone, tarballs, false);
    packed = ours.files;
    // The dependencies, offline: packed from this repository's node_modules.
    const deps: Record<string, string> = { asyncscope: `file:${ours.file}` };
    // Each from where its dependent finds it (tslib for tsyringe, undici-types for @types/node).
    const from = (name: string, parent?: string): string => {
      const nested = parent ? join(from(parent), "node_modules", name) : undefined;
      return nested && existsSync(nested) ? nested : join(modules, name);
    };
    const packages: [string, string][] = [
      ["tsyringe", from("tsyringe")],
      ["reflect-metadata", from("reflect-metadata")],
      ["tslib", from("tslib", "tsyringe")],
      ["@types/node", from("@types/node")],
      ["undici-types", from("undici-types", "@types/node")],
    ];
    // Tarred as they are (`npm pack` of @types/node alone takes seconds).
    for (const [name, dir] of packages) {
      const stage = join(tmp, "stage", name.replace("/", "-"));
      cpSync(dir, join(stage, "package"), { recursive: true, dereference: true });
      const file = join(tarballs, `${name.replace("/", "-")}.tgz`);
      await run("tar", ["-czf", file, "-C", stage, "package"], tmp);
      deps[name] = `file:${file}`;
    }
    project = join(tmp, "project");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "scratch", private: true, dependencies: deps }),
    );
    await run(npm, ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], project);
  });

  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("npm pack on a fresh clone builds dist/ and ships it with the license, and no tests or sources", () => {
    expect(packed).to.include.members([
      "package.json",
      "LICENSE",
      "README.md",
      "CHANGELOG.md",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/index.js.map",
      "docs/services.md",
      "docs/deferred-calls.md",
      "docs/state-machines.md",
    ]);
    const stray = packed.filter(
      (f) => !/^(dist\/|docs\/[\w-]+\.md$|package\.json$|LICENSE$|README\.md$|CHANGELOG\.md$)/.test(f),
    );
    expect(stray).to.deep.equal([]);
    expect(packed.filter((f) => f.endsWith(".d.ts.map"))).to.deep.equal([]);
  });

  it("its source maps carry their sources, so stack traces lead somewhere", () => {
    const map = JSON.parse(
      readFileSync(join(project, "node_modules/asyncscope/dist/container.js.map"), "utf8"),
    ) as {
      sourcesContent?: string[];
    };
    expect(map.sourcesContent?.[0]).to.contain("export class Container");
  });

  it("tsyringe is a peer dependency with a range, reflect-metadata a dependency", () => {
    const pkg = JSON.parse(readFileSync(join(project, "node_modules/asyncscope/package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    expect(pkg.peerDependencies).to.deep.equal({ tsyringe: "^4.8.0" });
    expect(Object.keys(pkg.dependencies)).to.deep.equal(["reflect-metadata"]);
  });

  it("imports from ESM", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'const m = await import("asyncscope"); console.log(typeof m.Container, typeof m.resolutionInfo);',
      ],
      project,
    );
    expect(stdout).to.equal("function function\n");
  });

  it("require()s from CommonJS (require(esm), Node >= 20.19 / 22.12)", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        "--no-warnings",
        "-e",
        'const m = require("asyncscope"); console.log(typeof m.Container, typeof m.Scope);',
      ],
      project,
    );
    expect(stdout).to.equal("function function\n");
  });

  it("tsc 7 (tsgo): the README quick start compiles as ESM and runs, printing the README's output", async () => {
    const dir = join(project, "esm");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(dir, "tsconfig.json"), tsconfig("nodenext"));
    writeFileSync(join(dir, "quick-start.ts"), quickStart);
    await run(process.execPath, [tsgo, "-p", "."], dir);
    const { stdout } = await run(process.execPath, [join(dir, "out/quick-start.js")], dir);
    expect(stdout).to.equal(expected);
  });

  it("tsc 7 (tsgo): the quick start compiles as CommonJS (module nodenext) and runs, printing the same", async () => {
    const dir = join(project, "cjs");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "commonjs" }));
    writeFileSync(join(dir, "tsconfig.json"), tsconfig("nodenext"));
    writeFileSync(join(dir, "quick-start.ts"), asCommonJs(quickStart));
    await run(process.execPath, [tsgo, "-p", "."], dir);
    expect(readFileSync(join(dir, "out/quick-start.js"), "utf8")).to.contain('require("asyncscope")');
    const { stdout } = await run(process.execPath, ["--no-warnings", join(dir, "out/quick-start.js")], dir);
    expect(stdout).to.equal(expected);
  });

  it("the declarations type-check without @types/node and name tsyringe only by its entry point", async () => {
    const dts = packed.filter((f) => f.endsWith(".d.ts"));
    for (const f of dts) {
      const text = readFileSync(join(project, "node_modules/asyncscope", f), "utf8");
      expect(text, f).to.not.match(/tsyringe\/dist|NodeJS\.|reference types="node"/);
    }
    const dir = join(project, "no-node-types");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "tsconfig.json"),
      tsconfig("nodenext", {
        types: [],
        lib: ["es2022", "esnext.disposable", "dom"],
        skipLibCheck: false,
        noEmit: true,
      }),
    );
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(
      join(dir, "use.ts"),
      'import * as api from "asyncscope";\nexport const all: typeof api = api;\nexport const c = new api.Container();\n',
    );
    await run(process.execPath, [tsgo, "-p", "."], dir);
  });
});
