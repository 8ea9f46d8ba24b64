import type { Container } from "./container.js";
import type { Lifetime } from "./lifetimes.js";
import { Scope } from "./scope.js";
import type { Holder, InstanceRecord } from "./engine/model.js";

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
      ...(r.pinned
        ? { pinnedBy: scopeId(r.lifetime === "singleton" ? container.root : (r.scope as Scope)) }
        : {}),
    });
  }
  return { scopes, instances };
}

// ----- rendering ------------------------------------------------------------------------------------------
// Every name (token, scope name, state, lifetime) is escaped for the target format, and every id that is not
// one of the snapshot's own (`s1`, `i2`) is replaced, so that no name can break the diagram, add nodes or
// edges to it, or put a control character into its text.

// Characters no label shows as they are: control and invisible format characters, line and paragraph
// separators, lone surrogates (in a `u` regex, a surrogate class matches only unpaired ones).
const UNPRINTABLE = String.raw`\p{Cc}\p{Cf}\p{Zl}\p{Zp}\uD800-\uDFFF`;

/** `c` as `open + code point + ";"`; a lone surrogate as U+FFFD. */
const entity =
  (open: string) =>
  (c: string): string =>
    `${open}${c.length === 1 && c >= "\uD800" && c <= "\uDFFF" ? 65533 : c.codePointAt(0)};`;

// Mermaid: `#code;` entities inside a quoted label. Quotes, `#`, HTML's `<>&`, `%` (a `%%` starts a
// directive or a comment, even inside quotes), backticks (a leading one makes a Markdown string) and
// backslashes are escaped too, and so are colons (Mermaid drops the `;` ending a line that holds `style` or
// `classDef`, a colon and a `#`) and white space at either end (Mermaid trims it).
const MERMAID_UNSAFE = new RegExp(`["#<>&%\\x60\\\\:${UNPRINTABLE}]`, "gu");
const mermaidEntity = entity("#");
function mermaidText(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && /\s/.test(s[start]!)) start++;
  while (end > start && /\s/.test(s[end - 1]!)) end--;
  return (
    Array.from(s.slice(0, start), mermaidEntity).join("") +
    s.slice(start, end).replace(MERMAID_UNSAFE, mermaidEntity) +
    Array.from(s.slice(end), mermaidEntity).join("")
  );
}

// Graphviz: in a quoted string only `\"` is an escape; the label is then read for HTML entities and for the
// backslash escapes (`\n`, `\N`, …). So quotes and backslashes get a backslash, `&` and unprintable
// characters become entities.
const DOT_UNSAFE = new RegExp(String.raw`[&${UNPRINTABLE}]`, "gu");
const dotEntity = entity("&#");
const dotText = (s: string): string => s.replace(DOT_UNSAFE, dotEntity).replace(/["\\]/g, (c) => `\\${c}`);

/** The ids a rendering uses: the snapshot's own when they have its form, else a fresh `x<n>`. */
function renderIds(): (id: string) => string {
  const replaced = new Map<string, string>();
  return (id) => {
    if (/^[si][0-9]+$/.test(id)) return id;
    let safe = replaced.get(id);
    if (safe === undefined) replaced.set(id, (safe = `x${replaced.size}`));
    return safe;
  };
}

type ScopeEntry = GraphSnapshot["scopes"][number];

/**
 * Walk the scopes as a tree, parents first, children in snapshot order, without recursion: `open` for each
 * scope at its depth, `close` after its children.
 */
function walkScopes(
  graph: GraphSnapshot,
  open: (s: ScopeEntry, depth: number) => void,
  close: (s: ScopeEntry, depth: number) => void,
): void {
  const known = new Set(graph.scopes.map((s) => s.id));
  const children = new Map<string | undefined, ScopeEntry[]>();
  for (const s of graph.scopes) {
    const parent = s.parent !== undefined && known.has(s.parent) ? s.parent : undefined;
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
  }
  const seen = new Set<string>();
  const stack: { scope: ScopeEntry; depth: number; entered: boolean }[] = [];
  // The roots first, then any scope no root reaches (parents that form a cycle in a hand-made snapshot).
  for (const root of [...(children.get(undefined) ?? []), ...graph.scopes]) {
    if (seen.has(root.id)) continue;
    stack.push({ scope: root, depth: 0, entered: false });
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.entered) {
        stack.pop();
        close(top.scope, top.depth);
        continue;
      }
      top.entered = true;
      if (seen.has(top.scope.id)) {
        stack.pop();
        continue;
      }
      seen.add(top.scope.id);
      open(top.scope, top.depth);
      const kids = children.get(top.scope.id) ?? [];
      for (let k = kids.length - 1; k >= 0; k--)
        stack.push({ scope: kids[k]!, depth: top.depth + 1, entered: false });
    }
  }
}

/** Indentation for a nesting depth, capped so that a deep chain of scopes does not grow the text quadratically. */
const indentOf = (depth: number): string => "  ".repeat(Math.min(depth, 16) + 1);

const LIFETIME_CLASSES = new Set(["transient", "scoped", "shared", "singleton"]);

/**
 * Render a snapshot as a Mermaid flowchart: scopes as nested subgraphs, instances as nodes labelled with
 * lifetime, state and refcount, edges from holder to held. Every name is escaped (`#code;` entities), so
 * any token or scope name gives a diagram Mermaid parses, with the same nodes and edges.
 *
 * @example
 * ```ts
 * writeFileSync("graph.mmd", toMermaid(container.inspect()));
 * ```
 */
export function toMermaid(graph: GraphSnapshot): string {
  const lines = ["flowchart TB"];
  const id = renderIds();
  const known = new Set(graph.scopes.map((s) => s.id));
  walkScopes(
    graph,
    (s, depth) => {
      const indent = indentOf(depth);
      lines.push(`${indent}subgraph ${id(s.id)}["${mermaidText(`${s.name} (${s.state})`)}"]`);
      lines.push(`${indent}  ${id(s.id)}_anchor(( ))`);
    },
    (_, depth) => lines.push(`${indentOf(depth)}end`),
  );
  const node = (h: string): string => (known.has(h) ? `${id(h)}_anchor` : id(h));
  for (const i of graph.instances) {
    const detail = `${i.lifetime} · ${i.state} · refs ${i.refCount}`;
    const style = LIFETIME_CLASSES.has(i.lifetime) ? `:::${i.lifetime}` : "";
    lines.push(`  ${id(i.id)}["${mermaidText(i.token)}<br/>${mermaidText(detail)}"]${style}`);
  }
  for (const i of graph.instances) {
    for (const h of i.holders) lines.push(`  ${node(h)} --> ${id(i.id)}`);
    if (i.pinnedBy && known.has(i.pinnedBy) && !i.holders.includes(i.pinnedBy)) {
      lines.push(`  ${node(i.pinnedBy)} -.-> ${id(i.id)}`);
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

const DOT_COLORS: ReadonlyMap<string, string> = new Map([
  ["transient", "#f4f4f5"],
  ["scoped", "#e0f2fe"],
  ["shared", "#dcfce7"],
  ["singleton", "#fef3c7"],
]);

/**
 * Render a snapshot in Graphviz DOT: scopes as clusters, instances as boxes, edges from holder to held. Every
 * name is escaped (backslash escapes and HTML entities), so any token or scope name gives a graph Graphviz
 * reads, with the same nodes and edges.
 *
 * @example
 * ```ts
 * writeFileSync("graph.dot", toDot(container.inspect())); // dot -Tsvg graph.dot > graph.svg
 * ```
 */
export function toDot(graph: GraphSnapshot): string {
  const lines = ["digraph asyncscope {", "  rankdir=TB;", '  node [shape=box, fontname="Helvetica"];'];
  const id = renderIds();
  const known = new Set(graph.scopes.map((s) => s.id));
  walkScopes(
    graph,
    (s, depth) => {
      const indent = indentOf(depth);
      lines.push(`${indent}subgraph cluster_${id(s.id)} {`);
      lines.push(`${indent}  label="${dotText(`${s.name} (${s.state})`)}";`);
      lines.push(`${indent}  ${id(s.id)} [shape=point, label=""];`);
    },
    (_, depth) => lines.push(`${indentOf(depth)}}`),
  );
  for (const i of graph.instances) {
    const label = `${dotText(i.token)}\\n${dotText(`${i.lifetime} · ${i.state} · refs ${i.refCount}`)}`;
    const color = DOT_COLORS.get(i.lifetime) ?? "#ffffff";
    lines.push(`  ${id(i.id)} [label="${label}", style=filled, fillcolor="${color}"];`);
  }
  for (const i of graph.instances) {
    for (const h of i.holders) lines.push(`  ${id(h)} -> ${id(i.id)};`);
    if (i.pinnedBy && known.has(i.pinnedBy) && !i.holders.includes(i.pinnedBy)) {
      lines.push(`  ${id(i.pinnedBy)} -> ${id(i.id)} [style=dashed];`);
    }
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
