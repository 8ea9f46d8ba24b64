// Classes generated for the scenarios that need many of them: E's 200-deep chain and G's layered
// graph. Each adapter asks for its own copy, so no two libraries decorate the same class.
// `positional` classes take their dependencies as constructor parameters and carry the
// `design:paramtypes` metadata that tsc emits for a decorated class; `cradle` classes take awilix's
// cradle object (its default PROXY injection mode) and read their dependencies from it by name.
import "reflect-metadata";
import type { Constructor } from "./adapter.js";
import { sleep } from "./timing.js";

export type Injection = "positional" | "cradle";

export interface ChainSpec {
  readonly length: number;
}

/** Levels of `width` nodes; a node depends on two nodes of the next level; the last level on none. */
export interface LayeredSpec {
  readonly levels: number;
  readonly width: number;
  readonly disposeMs: number;
}

export interface GeneratedNode {
  readonly deps: readonly GeneratedNode[];
}

export interface GeneratedGraph {
  /** Dependencies first: every class appears after the classes it depends on. */
  readonly classes: readonly Constructor[];
  /** The registration name of each class (awilix registers by name). */
  readonly names: ReadonlyMap<Constructor, string>;
  /** The classes nothing depends on. */
  readonly roots: readonly Constructor[];
  /** Each class's constructor dependencies, in parameter order (for wiring by hand). */
  readonly depsOf: ReadonlyMap<Constructor, readonly Constructor[]>;
  readonly edges: readonly (readonly [dependent: string, dependency: string])[];
}

type Disposer = (name: string) => Promise<void>;

// Libraries compare a constructor's arity with its metadata, so each arity gets its own class shape.
// `declare` fields: assigned in the constructor only, without a define-semantics initializer per class.
function positionalNode(arity: number): Constructor {
  if (arity === 0) {
    return class {
      declare readonly deps: unknown[];
      constructor() {
        this.deps = [];
      }
    };
  }
  if (arity === 1) {
    return class {
      declare readonly deps: unknown[];
      constructor(a: unknown) {
        this.deps = [a];
      }
    };
  }
  return class {
    declare readonly deps: unknown[];
    constructor(a: unknown, b: unknown) {
      this.deps = [a, b];
    }
  };
}

function cradleNode(depNames: readonly string[]): Constructor {
  return class {
    declare readonly deps: unknown[];
    constructor(cradle: Record<string, unknown>) {
      this.deps = depNames.map((dep) => cradle[dep]);
    }
  };
}

function defineNode(
  name: string,
  deps: readonly Constructor[],
  depNames: string[],
  injection: Injection,
  dispose?: Disposer,
): Constructor {
  const node = injection === "cradle" ? cradleNode(depNames) : positionalNode(deps.length);
  Object.defineProperty(node, "name", { value: name });
  if (injection === "positional") Reflect.defineMetadata("design:paramtypes", [...deps], node);
  if (dispose) {
    const proto = node.prototype as unknown as Record<PropertyKey, unknown>;
    // `[Symbol.asyncDispose]` for asyncscope, `dispose()` for tsyringe; awilix and inversify are
    // told which one to call at registration.
    proto[Symbol.asyncDispose] = proto.dispose = () => dispose(name);
  }
  return node;
}

/** A chain: class i depends on class i-1; the root is the last one. */
export function createChain(spec: ChainSpec, injection: Injection): GeneratedGraph {
  const classes: Constructor[] = [];
  const names = new Map<Constructor, string>();
  const depsOf = new Map<Constructor, Constructor[]>();
  const edges: [string, string][] = [];
  for (let i = 0; i < spec.length; i++) {
    const prev = classes[i - 1];
    const name = `chain${i}`;
    const deps = prev ? [prev] : [];
    const node = defineNode(name, deps, prev ? [names.get(prev)!] : [], injection);
    if (prev) edges.push([name, names.get(prev)!]);
    classes.push(node);
    names.set(node, name);
    depsOf.set(node, deps);
  }
  return { classes, names, roots: [classes[classes.length - 1]!], depsOf, edges };
}

/**
 * One adapter's chains, generated and decorated once per length, as a module's classes are declared
 * once: E then times registration and resolution, not class declaration.
 */
export function chainCache(injection: Injection, decorate: (cls: Constructor) => void = () => {}) {
  const chains = new Map<number, GeneratedGraph>();
  return (spec: ChainSpec): GeneratedGraph => {
    let chain = chains.get(spec.length);
    if (chain === undefined) {
      chain = createChain(spec, injection);
      chain.classes.forEach(decorate);
      chains.set(spec.length, chain);
    }
    return chain;
  };
}

/** How deep a resolved chain goes (the spec's length when it is wired right). */
export function chainLength(root: unknown): number {
  let depth = 0;
  for (let node = root as GeneratedNode | undefined; node; node = node.deps[0]) depth++;
  return depth;
}

/** The layered graph; each disposal takes `disposeMs` and is reported to `recorder`. */
export function createLayered(
  spec: LayeredSpec,
  injection: Injection,
  recorder: DisposalRecorder,
): GeneratedGraph {
  const levels: Constructor[][] = [];
  const names = new Map<Constructor, string>();
  const depsOf = new Map<Constructor, Constructor[]>();
  const edges: [string, string][] = [];
  const dispose: Disposer = (name) => recorder.dispose(name, spec.disposeMs);
  for (let level = spec.levels - 1; level >= 0; level--) {
    const below = levels[0];
    const row: Constructor[] = [];
    for (let i = 0; i < spec.width; i++) {
      const name = `node${level}_${i}`;
      const deps = below ? [below[i]!, below[(i + 1) % spec.width]!] : [];
      const depNames = deps.map((dep) => names.get(dep)!);
      for (const dep of depNames) edges.push([name, dep]);
      const node = defineNode(name, deps, depNames, injection, dispose);
      names.set(node, name);
      depsOf.set(node, deps);
      row.push(node);
    }
    levels.unshift(row);
  }
  return { classes: [...levels].reverse().flat(), names, roots: levels[0]!, depsOf, edges };
}

/** Records when each disposal starts and ends, to check the order against the graph's edges. */
export class DisposalRecorder {
  private readonly spans = new Map<string, { start: number; end: number }>();

  async dispose(name: string, ms: number): Promise<void> {
    const span = { start: performance.now(), end: Infinity };
    this.spans.set(name, span);
    await sleep(ms);
    span.end = performance.now();
  }

  get count(): number {
    return this.spans.size;
  }

  /** Edges whose dependency started disposing before its dependent had finished (or never ran). */
  violations(edges: GeneratedGraph["edges"]): number {
    let bad = 0;
    for (const [dependent, dependency] of edges) {
      const a = this.spans.get(dependent);
      const b = this.spans.get(dependency);
      if (!a || !b || a.end > b.start) bad++;
    }
    return bad;
  }
}
