import type { Container } from "./container.js";
import type { Lifetime } from "./lifetimes.js";
import { Scope } from "./scope.js";
import type { Holder, InstanceRecord } from "./internal/instance.js";

/**
 * A picture of the live graph: scopes, instances, who holds what and how often.
 *
 * @example
 * ```ts
 * const graph = container.inspect();
 * console.log(graph.instances.map((i) => `${i.token}: ${i.refCount}`));
 * ```
 */
export interface GraphSnapshot {
  scopes: {
    id: string;
    name: string;
    parent?: string;
    state: string;
    /** `root`, `child` (createScope / withScope), `fork`, or `instance` (an instance's own task scope). */
    kind?: string;
    /** For an `instance` scope: the id of the instance it belongs to. */
    owner?: string;
  }[];
  instances: {
    id: string;
    token: string;
    lifetime: Lifetime;
    state: string;
    refCount: number;
    holders: string[];
    dependsOn: string[];
    /** The scope that owns it until it closes (scoped instances, and the root for singletons). */
    pinnedBy?: string;
  }[];
}

const scopeId = (s: Scope): string => `s${s.id}`;
const instanceId = (r: InstanceRecord): string => `i${r.id}`;
const holderId = (h: Holder): string => (h instanceof Scope ? scopeId(h) : instanceId(h as InstanceRecord));

/** @internal Build a snapshot of a container (live scopes and instances only). */
export function snapshot(container: Container): GraphSnapshot {
  const scopes: GraphSnapshot["scopes"] = [];
  const seen = new Set<Scope>();
  const addScope = (s: Scope): void => {
    if (seen.has(s) || s.state === "closed") return;
    seen.add(s);
    scopes.push({
      id: scopeId(s),
      name: s.name,
      ...(s.parent ? { parent: scopeId(s.parent) } : {}),
      state: s.state,
      kind: s.kind,
      ...(s.ownerRecord ? { owner: instanceId(s.ownerRecord) } : {}),
    });
  };
  const stack: Scope[] = [container.root];
  while (stack.length) {
    const s = stack.pop()!;
    addScope(s);
    const children = s.childScopes();
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  const instances: GraphSnapshot["instances"] = [];
  for (const r of container.live) {
    if (r.state !== "starting" && r.state !== "ready" && r.state !== "releasing") continue;
    for (const [h] of r.holders()) if (h instanceof Scope) addScope(h);
    instances.push({
      id: instanceId(r),
      token: r.name,
      lifetime: r.lifetime,
      state: r.crashed ? "crashed" : r.state,
      refCount: r.refCount,
      holders: r.holders().map(([h]) => holderId(h)),
      dependsOn: r.depRecords().map(instanceId),
      ...(r.pinned ? { pinnedBy: scopeId(r.lifetime === "singleton" ? container.root : r.scope) } : {}),
    });
  }
  return { scopes, instances };
}

type ScopeNode = GraphSnapshot["scopes"][number];

/** Past this depth, nested scopes are indented no further (the output stays linear in the number of scopes). */
const MAX_INDENT = 32;

/**
 * Emit a scope and everything nested in it, depth first, with an explicit stack rather than recursion (a
 * 100,000-deep nesting costs no call stack): `open` before a scope's children, the line `close` gives after.
 */
function nestedEmitter(
  lines: string[],
  children: Map<string | undefined, ScopeNode[]>,
  emit: { open(s: ScopeNode, indent: string): void; close(indent: string): string },
): (top: ScopeNode) => void {
  const indents: string[] = [];
  const indentOf = (depth: number): string =>
    (indents[depth] ??= "  ".repeat(Math.min(depth, MAX_INDENT) + 1));
  return (top) => {
    // Entries: a scope to open (with its depth), or a closing line to write.
    const stack: (ScopeNode | string)[] = [top];
    const depths: number[] = [0];
    while (stack.length > 0) {
      const item = stack.pop()!;
      const depth = depths.pop()!;
      if (typeof item === "string") {
        lines.push(item);
        continue;
      }
      emit.open(item, indentOf(depth));
      stack.push(emit.close(indentOf(depth)));
      depths.push(depth);
      const nested = children.get(item.id) ?? [];
      for (let i = nested.length - 1; i >= 0; i--) {
        stack.push(nested[i]!);
        depths.push(depth + 1);
      }
    }
  };
}

const mermaidText = (s: string): string => s.replace(/["<>#]/g, (c) => `#${c.charCodeAt(0)};`);
const dotText = (s: string): string => s.replace(/["\\]/g, (c) => `\\${c}`);

/**
 * Render a snapshot as a Mermaid flowchart: scopes as nested subgraphs, instances as nodes labelled with
 * lifetime, state and refcount, edges from holder to held.
 *
 * @example
 * ```ts
 * writeFileSync("graph.mmd", toMermaid(container.inspect()));
 * ```
 */
export function toMermaid(graph: GraphSnapshot): string {
  const lines = ["flowchart TB"];
  const children = new Map<string | undefined, GraphSnapshot["scopes"]>();
  for (const s of graph.scopes) {
    const list = children.get(s.parent) ?? [];
    list.push(s);
    children.set(s.parent, list);
  }
  const known = new Set(graph.scopes.map((s) => s.id));
  const emitScope = nestedEmitter(lines, children, {
    open: (s, indent) => {
      lines.push(`${indent}subgraph ${s.id}["${mermaidText(`${s.name} (${s.state})`)}"]`);
      lines.push(`${indent}  ${s.id}_anchor(( ))`);
    },
    close: (indent) => `${indent}end`,
  });
  for (const s of graph.scopes) if (!s.parent || !known.has(s.parent)) emitScope(s);
  for (const i of graph.instances) {
    const detail = `${i.lifetime} · ${i.state} · refs ${i.refCount}`;
    lines.push(`  ${i.id}["${mermaidText(i.token)}<br/>${mermaidText(detail)}"]:::${i.lifetime}`);
  }
  for (const i of graph.instances) {
    for (const h of i.holders) lines.push(`  ${known.has(h) ? `${h}_anchor` : h} --> ${i.id}`);
    if (i.pinnedBy && known.has(i.pinnedBy) && !i.holders.includes(i.pinnedBy)) {
      lines.push(`  ${i.pinnedBy}_anchor -.-> ${i.id}`);
    }
  }
  lines.push(
    "  classDef transient fill:#f4f4f5,stroke:#71717a",
    "  classDef scoped fill:#e0f2fe,stroke:#0284c7",
    "  classDef shared fill:#dcfce7,stroke:#16a34a",
    "  classDef singleton fill:#fef3c7,stroke:#d97706",
  );
  return lines.join("\n") + "\n";
}

/**
 * Render a snapshot in Graphviz DOT: scopes as clusters, instances as boxes, edges from holder to held.
 *
 * @example
 * ```ts
 * writeFileSync("graph.dot", toDot(container.inspect())); // dot -Tsvg graph.dot > graph.svg
 * ```
 */
export function toDot(graph: GraphSnapshot): string {
  const lines = ["digraph asyncscope {", "  rankdir=TB;", '  node [shape=box, fontname="Helvetica"];'];
  const known = new Set(graph.scopes.map((s) => s.id));
  const children = new Map<string | undefined, GraphSnapshot["scopes"]>();
  for (const s of graph.scopes) {
    const list = children.get(s.parent) ?? [];
    list.push(s);
    children.set(s.parent, list);
  }
  const emitScope = nestedEmitter(lines, children, {
    open: (s, indent) => {
      lines.push(`${indent}subgraph cluster_${s.id} {`);
      lines.push(`${indent}  label="${dotText(`${s.name} (${s.state})`)}";`);
      lines.push(`${indent}  ${s.id} [shape=point, label=""];`);
    },
    close: (indent) => `${indent}}`,
  });
  for (const s of graph.scopes) if (!s.parent || !known.has(s.parent)) emitScope(s);
  const colors: Record<string, string> = {
    transient: "#f4f4f5",
    scoped: "#e0f2fe",
    shared: "#dcfce7",
    singleton: "#fef3c7",
  };
  for (const i of graph.instances) {
    const label = `${dotText(i.token)}\\n${i.lifetime} · ${i.state} · refs ${i.refCount}`;
    lines.push(`  ${i.id} [label="${label}", style=filled, fillcolor="${colors[i.lifetime] ?? "#ffffff"}"];`);
  }
  for (const i of graph.instances) {
    for (const h of i.holders) lines.push(`  ${h} -> ${i.id};`);
    if (i.pinnedBy && known.has(i.pinnedBy) && !i.holders.includes(i.pinnedBy)) {
      lines.push(`  ${i.pinnedBy} -> ${i.id} [style=dashed];`);
    }
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
