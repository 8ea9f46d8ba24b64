// Parsers for what toMermaid() and toDot() emit, for the renderer tests: Mermaid's own flowchart parser
// (run in Node, with DOMPurify's hooks stubbed: parsing needs no DOM), and a strict parser for the DOT
// subset toDot() writes, which decodes labels as Graphviz does (quoted strings, then HTML entities, then
// the escString backslash escapes).

/** A rendering read back: clusters (scopes) with their labels and parents, nodes, and edges `from -> to`. */
export interface ParsedGraph {
  clusters: { id: string; label: string; parent: string | undefined }[];
  nodes: { id: string; label: string }[];
  edges: string[];
}

interface MermaidDb {
  getVertices(): Map<string, { id: string; text?: string }>;
  getEdges(): { start: string; end: string; stroke?: string }[];
  getSubGraphs(): { id: string; title: string; nodes: string[] }[];
}
let mermaidApi: Promise<{ getDiagramFromText(text: string): Promise<{ db: unknown }> }> | undefined;

async function loadMermaid(): Promise<{ getDiagramFromText(text: string): Promise<{ db: unknown }> }> {
  const purify = ((await import("dompurify")) as unknown as { default: Record<string, unknown> }).default;
  // Without a DOM, DOMPurify comes without its methods; Mermaid only needs them to sanitize labels for HTML.
  if (typeof purify.addHook !== "function") purify.addHook = () => undefined;
  if (typeof purify.sanitize !== "function") purify.sanitize = (text: unknown) => String(text);
  const { default: mermaid } = (await import("mermaid")) as unknown as {
    default: {
      parse(text: string): Promise<unknown>;
      mermaidAPI: { getDiagramFromText(text: string): Promise<{ db: unknown }> };
    };
  };
  await mermaid.parse("flowchart TB\n  a\n"); // registers the diagram types
  return mermaid.mermaidAPI;
}

/** Mermaid keeps `#…;` entities as placeholders in the parsed text; turn them back into characters. */
function decodeMermaid(text: string): string {
  return text
    .replace(/ﬂ°°(\d+)¶ß/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/ﬂ°(\w+)¶ß/g, (_, name: string) => {
      const named: Record<string, string> = { quot: '"', amp: "&", lt: "<", gt: ">", nbsp: "\u00a0" };
      if (!(name in named)) throw new Error(`unexpected entity #${name};`);
      return named[name]!;
    });
}

export async function parseMermaid(text: string): Promise<ParsedGraph> {
  mermaidApi ??= loadMermaid();
  const { db } = await (await mermaidApi).getDiagramFromText(text);
  const flow = db as MermaidDb;
  const subgraphs = flow.getSubGraphs();
  const parentOf = new Map<string, string>();
  for (const s of subgraphs)
    for (const n of s.nodes) if (subgraphs.some((t) => t.id === n)) parentOf.set(n, s.id);
  const clusterIds = new Set(subgraphs.map((s) => s.id));
  const anchorOf = (id: string): string =>
    id.endsWith("_anchor") && clusterIds.has(id.slice(0, -7)) ? id.slice(0, -7) : id;
  const firstLine = text.split("\n", 1)[0];
  if (firstLine !== "flowchart TB") throw new Error(`unexpected header ${firstLine}`);
  return {
    clusters: order(
      text,
      subgraphs.map((s) => ({ id: s.id, label: decodeMermaid(s.title), parent: parentOf.get(s.id) })),
    ),
    nodes: [...flow.getVertices().values()]
      .filter((v) => anchorOf(v.id) === v.id)
      .map((v) => ({ id: v.id, label: decodeMermaid(v.text ?? "") })),
    edges: flow
      .getEdges()
      .map((e) => `${anchorOf(e.start)} -> ${anchorOf(e.end)}${e.stroke === "dotted" ? " (pin)" : ""}`),
  };
}

/** Mermaid lists subgraphs innermost first; put them back in the order of the snapshot (document order). */
function order<T extends { id: string }>(text: string, clusters: T[]): T[] {
  const at = (id: string): number => text.indexOf(`subgraph ${id}[`);
  return [...clusters].sort((a, b) => at(a.id) - at(b.id));
}

// ----- DOT ------------------------------------------------------------------------------------------------

type DotToken = { kind: "id" | "string" | "punct"; value: string };

function tokenizeDot(text: string): DotToken[] {
  const tokens: DotToken[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\n") i++;
    else if (/[A-Za-z0-9_]/.test(c)) {
      const m = /^[A-Za-z0-9_]+/.exec(text.slice(i, i + 200))!;
      tokens.push({ kind: "id", value: m[0] });
      i += m[0].length;
    } else if (c === '"') {
      // Graphviz's lexer: \" is a quote, backslash-newline is dropped, every other character stays as is.
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw new Error("unterminated string");
        const d = text[i]!;
        if (d === '"') break;
        if (d === "\\" && text[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (d === "\\" && text[i + 1] === "\\") {
          value += "\\\\";
          i += 2;
        } else if (d === "\\" && text[i + 1] === "\n") i += 2;
        else {
          value += d;
          i++;
        }
      }
      i++;
      tokens.push({ kind: "string", value });
    } else if (text.startsWith("->", i)) {
      tokens.push({ kind: "punct", value: "->" });
      i += 2;
    } else if ("{}[];,=".includes(c)) {
      tokens.push({ kind: "punct", value: c });
      i++;
    } else throw new Error(`unexpected character ${JSON.stringify(c)} at ${i}`);
  }
  return tokens;
}

/** A label as Graphviz shows it: entities decoded, then \n \l \r as line breaks, \x as x. */
function decodeDotLabel(raw: string): string {
  const named: Record<string, string> = { quot: '"', amp: "&", lt: "<", gt: ">", apos: "'" };
  const entities = raw.replace(
    /&(#(\d+)|#x([0-9a-fA-F]+)|(\w+));/g,
    (whole, _, dec?: string, hex?: string, name?: string) => {
      if (dec !== undefined) return String.fromCodePoint(Number(dec));
      if (hex !== undefined) return String.fromCodePoint(parseInt(hex, 16));
      return named[name!] ?? whole;
    },
  );
  return entities.replace(/\\(.)/gs, (_, c: string) => ("nlr".includes(c) ? "\n" : c));
}

export function parseDot(text: string): ParsedGraph {
  const tokens = tokenizeDot(text);
  let k = 0;
  const peek = (): DotToken | undefined => tokens[k];
  const take = (kind?: DotToken["kind"], value?: string): DotToken => {
    const t = tokens[k++];
    if (!t || (kind && t.kind !== kind) || (value !== undefined && t.value !== value)) {
      throw new Error(`expected ${value ?? kind} at token ${k - 1}, got ${JSON.stringify(t)}`);
    }
    return t;
  };
  const attrs = (): Record<string, string> => {
    const out: Record<string, string> = {};
    take("punct", "[");
    while (peek()?.value !== "]") {
      const key = take("id").value;
      take("punct", "=");
      const v = tokens[k++]!;
      if (v.kind === "punct") throw new Error(`bad attribute value for ${key}`);
      out[key] = v.value;
      if (peek()?.value === ",") k++;
    }
    take("punct", "]");
    return out;
  };
  const graph: ParsedGraph = { clusters: [], nodes: [], edges: [] };
  // Statements, with the open clusters on an explicit stack (a deep chain of scopes must not overflow).
  const statements = (): void => {
    const open: string[] = [];
    for (;;) {
      const cluster = open[open.length - 1];
      if (peek()?.value === "}") {
        if (cluster === undefined) return;
        k++;
        open.pop();
        continue;
      }
      const first = take();
      if (first.kind === "id" && first.value === "subgraph") {
        const name = take("id").value;
        if (!name.startsWith("cluster_")) throw new Error(`not a cluster: ${name}`);
        const id = name.slice(8);
        take("punct", "{");
        const entry = { id, label: "", parent: cluster };
        graph.clusters.push(entry);
        take("id", "label");
        take("punct", "=");
        entry.label = decodeDotLabel(take("string").value);
        take("punct", ";");
        open.push(id);
        continue;
      }
      if (first.kind !== "id") throw new Error(`unexpected ${first.value}`);
      if (peek()?.value === "=") {
        k++;
        take();
      } else if (peek()?.value === "->") {
        k++;
        const to = take("id").value;
        const a = peek()?.value === "[" ? attrs() : {};
        graph.edges.push(`${first.value} -> ${to}${a.style === "dashed" ? " (pin)" : ""}`);
      } else if (first.value === "node") attrs();
      else {
        const a = attrs();
        if (a.shape === "point") {
          if (first.value !== cluster) throw new Error(`anchor ${first.value} outside its cluster`);
        } else graph.nodes.push({ id: first.value, label: decodeDotLabel(a.label ?? "") });
      }
      take("punct", ";");
    }
  };
  take("id", "digraph");
  take("id", "asyncscope");
  take("punct", "{");
  statements();
  take("punct", "}");
  if (k !== tokens.length) throw new Error("text after the graph");
  return graph;
}
