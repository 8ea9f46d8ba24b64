// The published declarations (issue 13, "a clean public surface"): everything `dist/index.d.ts` reaches
// through its imports is public. Run after `npm run build` (which `npm test` does first).
import { expect } from "chai";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const dist = path.join(root, "dist");

/** Folders of dist/ that hold the implementation: no public declaration may lead into them. */
const INTERNAL_DIRS = ["internal", "engine"];

const importRe = /(?:\bfrom\s+|\bimport\s+|\bimport\(\s*)["']([^"']+)["']/g;

/** Every relative .d.ts file `entry` reaches through its imports and re-exports, itself included. */
function reachable(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, "utf8").matchAll(importRe)) {
      const spec = match[1]!;
      if (!spec.startsWith(".")) continue;
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, ".d.ts");
      if (!existsSync(target)) throw new Error(`${file} imports ${spec}, which has no ${target}`);
      queue.push(target);
    }
  }
  return [...seen].sort();
}

/** The files among `files` that sit in an internal folder of `base`. */
function internalModules(base: string, files: string[]): string[] {
  return files
    .map((file) => path.relative(base, file).split(path.sep).join("/"))
    .filter((rel) => INTERNAL_DIRS.some((dir) => rel.startsWith(`${dir}/`)));
}

/** `file:line` of every `@internal` tag among `files`. */
function internalTags(base: string, files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (line.includes("@internal")) found.push(`${path.relative(base, file)}:${i + 1}`);
      });
  }
  return found;
}

/** The value names `index.d.ts` re-exports, with the file each comes from. */
function exportedValues(index: string): { name: string; file: string }[] {
  const text = readFileSync(index, "utf8");
  const out: { name: string; file: string }[] = [];
  for (const m of text.matchAll(/export\s+\{([^}]*)\}\s+from\s+["'](\.[^"']+)["']/g)) {
    const file = path.resolve(path.dirname(index), m[2]!).replace(/\.js$/, ".d.ts");
    for (const part of m[1]!.split(",")) {
      const name = part.trim().split(/\s+as\s+/)[0]!;
      if (name !== "" && !name.startsWith("type ")) out.push({ name, file });
    }
  }
  return out;
}

/** Whether `file` declares class `name` with a doc comment right above it; undefined if no such class. */
function classDocumented(file: string, name: string): boolean | undefined {
  const lines = readFileSync(file, "utf8").split("\n");
  const at = lines.findIndex((line) => new RegExp(`^export declare (abstract )?class ${name}\\b`).test(line));
  if (at < 0) return undefined;
  return at > 0 && lines[at - 1]!.trim().endsWith("*/");
}

const index = path.join(dist, "index.d.ts");
const built = existsSync(index);
const publicFiles = built ? reachable(index) : [];
const publicClasses = built
  ? exportedValues(index).flatMap(({ name, file }) => {
      const documented = classDocumented(file, name);
      return documented === undefined ? [] : [{ name, documented }];
    })
  : [];
/** Public classes that ship without their doc comment today (none since Scope's comment sits above it). */
const UNDOCUMENTED_TODAY = new Set<string>([]);

describe("published declarations (dist/index.d.ts)", () => {
  it("are built, and every relative import among them resolves to a .d.ts file", () => {
    expect(built, "run `npm run build` first").to.equal(true);
    expect(publicFiles).to.include(index);
    expect(publicFiles.length).to.be.greaterThan(10);
  });

  it("the checks below catch an internal module and an @internal member (fixture)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "asyncscope-dts-"));
    try {
      mkdirSync(path.join(dir, "internal"));
      mkdirSync(path.join(dir, "engine"));
      writeFileSync(path.join(dir, "index.d.ts"), 'export { A } from "./a.js";\nimport "./b.js";\n');
      writeFileSync(
        path.join(dir, "a.d.ts"),
        'import type { X } from "./internal/x.js";\n/** A. */\nexport declare class A {\n    /** @internal */\n    x: X;\n}\n',
      );
      writeFileSync(path.join(dir, "b.d.ts"), 'export type Y = import("./engine/y.js").Y;\n');
      writeFileSync(path.join(dir, "internal", "x.d.ts"), "export type X = 1;\n");
      writeFileSync(path.join(dir, "engine", "y.d.ts"), "export type Y = 2;\n");
      writeFileSync(path.join(dir, "c.d.ts"), "export declare class C {\n}\n");
      const files = reachable(path.join(dir, "index.d.ts"));
      expect(internalModules(dir, files)).to.deep.equal(["engine/y.d.ts", "internal/x.d.ts"]);
      expect(internalTags(dir, files)).to.deep.equal(["a.d.ts:4"]);
      expect(classDocumented(path.join(dir, "a.d.ts"), "A")).to.equal(true);
      expect(classDocumented(path.join(dir, "c.d.ts"), "C")).to.equal(false);
      expect(classDocumented(path.join(dir, "c.d.ts"), "D")).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Enabled by the engine v2 refactor (issue 13): dist/scope.d.ts imported internal/instance and
  // internal/task-impl.
  it("reach no internal module (dist/internal/, dist/engine/)", () => {
    expect(internalModules(dist, publicFiles)).to.deep.equal([]);
  });

  // stripInternal (tsconfig.json) removes every member tagged @internal from the declarations.
  it("publish no @internal member", () => {
    expect(internalTags(dist, publicFiles)).to.deep.equal([]);
  });

  it("export classes (sanity: the class list is not empty)", () => {
    expect(publicClasses.map((c) => c.name)).to.include.members(["Container", "Scope", "Service"]);
  });

  for (const { name, documented } of publicClasses) {
    if (UNDOCUMENTED_TODAY.has(name)) {
      // enabled by the engine v2 refactor (issue 13): Scope's doc comment sits above another class.
      it.skip(`document the public class ${name}`, () => {
        expect(documented, `${name} has no doc comment in its .d.ts`).to.equal(true);
      });
    } else {
      it(`document the public class ${name}`, () => {
        expect(documented, `${name} has no doc comment in its .d.ts`).to.equal(true);
      });
    }
  }
});
