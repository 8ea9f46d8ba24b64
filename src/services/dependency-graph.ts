// Validates a whole service graph before anything starts (SEMANTICS 6.1) and captures each node's
// dependencies as groups, so that a stop releases exactly what its start acquired. Internal.
import { ConfigurationError, CycleError, describe } from "../errors.js";

/** A service: something with a name and a list of dependencies. */
export interface GraphNode {
  readonly name: string;
  readonly dependencies: unknown;
}

/** What the validator needs to know about one family of services (async or sync). */
export interface GraphKind<T extends GraphNode> {
  /** The base class of the family; its name ("Service", "SyncService") is used in messages. */
  readonly base: abstract new (...args: any[]) => T;
  /** 2: inner arrays are parallel groups; 1: a flat, sequential list. */
  readonly levels: 1 | 2;
  /** Further checks of one node (its timeouts, say); throws a ConfigurationError. */
  check?(node: T): void;
}

/** Every node of a graph with its dependencies: groups in order, the members of a group in parallel. */
export type Plan<T> = Map<T, T[][]>;

/**
 * Walk the graph below `root`: reject nesting deeper than `kind.levels`, anything that is not a node,
 * and cycles (`CycleError` with the whole path). Nothing is started here.
 */
export function planGraph<T extends GraphNode>(root: T, kind: GraphKind<T>): Plan<T> {
  const plan: Plan<T> = new Map();
  const path: T[] = [];
  const visit = (node: T): void => {
    const from = path.indexOf(node);
    if (from >= 0) throw new CycleError([...path.slice(from), node].map((n) => n.name));
    if (plan.has(node)) return;
    kind.check?.(node);
    const groups = groupsOf(node, kind);
    path.push(node);
    for (const group of groups) for (const dep of group) visit(dep);
    path.pop();
    plan.set(node, groups);
  };
  visit(root);
  return plan;
}

function groupsOf<T extends GraphNode>(node: T, { base, levels }: GraphKind<T>): T[][] {
  const deps = node.dependencies;
  const isNode = (value: unknown): value is T => value instanceof base;
  const fail = (what: string): never => {
    throw new ConfigurationError(`${base.name} ${node.name}: ${what}`);
  };
  const show = (value: unknown): string =>
    Array.isArray(value) ? `[${value.map(show).join(", ")}]` : isNode(value) ? value.name : describe(value);
  if (!Array.isArray(deps)) return fail(`dependencies must be an array, got ${show(deps)}.`);
  const groups: T[][] = [];
  deps.forEach((entry: unknown, i) => {
    if (isNode(entry)) return groups.push([entry]);
    if (!Array.isArray(entry)) return fail(`dependencies[${i}] is ${show(entry)}, not a ${base.name}.`);
    if (levels === 1) {
      return fail(
        `dependencies[${i}] is the array ${show(entry)}; a ${base.name} starts its dependencies ` +
          `one after another, so list them flat.`,
      );
    }
    for (const member of entry as unknown[]) {
      if (Array.isArray(member)) {
        fail(
          `dependencies[${i}] ${show(entry)} nests the array ${show(member)} at a third level. ` +
            `Use services (started one after another) and arrays of services (started in parallel), nothing deeper.`,
        );
      }
      if (!isNode(member)) fail(`dependencies[${i}] contains ${show(member)}, not a ${base.name}.`);
    }
    if (entry.length > 0) groups.push([...(entry as T[])]);
  });
  return groups;
}
