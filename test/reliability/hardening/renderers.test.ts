// Hardening, class 14: every rendering escapes every name. toMermaid() and toDot() of a graph whose token
// and scope names are hostile (quotes, newlines, `-->`, `]`, backticks, `%%{init}`, control characters,
// 20,000 characters) parse with a real Mermaid parser and a strict DOT parser, and give back exactly the
// snapshot's labels (after unescaping), nodes, nesting and edges. inspect() keeps the names as they are.
import { expect } from "chai";
import fc from "fast-check";
import { Container, Lifetime, toDot, toMermaid, type GraphSnapshot } from "asyncscope";
import { propertyOptions } from "../../support/helpers.js";
import { parseDot, parseMermaid, type ParsedGraph } from "./graph-parsers.js";

const HOSTILE = [
  '"',
  "'",
  "`",
  "`starts with a backtick",
  "a\nb",
  "\r\n",
  "-->",
  "a --> b",
  "]",
  '"]; i9["x',
  "[x]",
  "(( ))",
  "end",
  "subgraph",
  "%%{init: {'theme': 'dark'}}%%",
  "%% a comment",
  "\u0000\u0007\u001b[31mred\u001b[0m",
  "\u2028\u2029",
  "\u202e\u200b",
  "<br/>",
  "<script>alert(1)</script>",
  "&amp;",
  "#35;",
  "#quot;",
  "\\",
  "a\\",
  "\\N\\G\\n\\l",
  '\\"',
  "}; x -> y; {",
  ":::classDef",
  "classDef x fill:#f00;",
  "style i1 fill:#f00;",
  "click i1 call alert()",
  "💥",
  "\ud800",
  "x".repeat(20_000),
];

/** A name drawn from the whole class: any string, the hostile ones, and mixes of both. */
const hostileName = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE.slice(0, -1)), fc.string({ maxLength: 5 })), { maxLength: 6 })
    .map((parts) => parts.join("")),
);

/** What a rendering must show: the snapshot's labels, nesting and edges. */
function expected(graph: GraphSnapshot, separator: string): ParsedGraph {
  const known = new Set(graph.scopes.map((s) => s.id));
  const wellFormed = (s: string): string =>
    s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  const edges: string[] = [];
  for (const i of graph.instances) {
    for (const h of i.holders) edges.push(`${h} -> ${i.id}`);
    if (i.pinnedBy && known.has(i.pinnedBy) && !i.holders.includes(i.pinnedBy))
      edges.push(`${i.pinnedBy} -> ${i.id} (pin)`);
  }
  return {
    clusters: graph.scopes.map((s) => ({
      id: s.id,
      label: wellFormed(`${s.name} (${s.state})`),
      parent: s.parent !== undefined && known.has(s.parent) ? s.parent : undefined,
    })),
    nodes: graph.instances.map((i) => ({
      id: i.id,
      label: wellFormed(`${i.token}${separator}${i.lifetime} · ${i.state} · refs ${i.refCount}`),
    })),
    edges,
  };
}

/** A live graph whose tokens and scopes carry the given names. */
async function graphWith(
  tokens: string[],
  scopes: string[],
): Promise<{ c: Container; graph: GraphSnapshot }> {
  const c = new Container({ name: scopes[0] ?? "app" });
  tokens.forEach((token, k) => {
    const lifetime = [Lifetime.Singleton, Lifetime.Shared, Lifetime.Scoped][k % 3]!;
    // Each depends on the one before it, when the lifetimes allow it (no captive dependency).
    const previous = tokens[k - 1];
    const dependsOn =
      previous !== undefined && (k - 1) % 3 !== 2 && lifetime !== Lifetime.Singleton ? [previous] : [];
    c.register(token, { useFactory: () => ({ token }) }, { lifetime, dependsOn });
  });
  let parent = c.root;
  for (const name of scopes.slice(1)) {
    parent = parent.createScope(name);
    for (const token of tokens) await parent.resolve(token);
  }
  return { c, graph: c.inspect() };
}

/** Clusters, nodes and edges in a fixed order, so that the order of emission does not matter. */
function canon(graph: ParsedGraph): ParsedGraph {
  const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return {
    clusters: [...graph.clusters].sort(byId),
    nodes: [...graph.nodes].sort(byId),
    edges: [...graph.edges].sort(),
  };
}

// Control characters (but the line feed between statements), DEL, C1 controls, line and paragraph separators.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/u;

function checkRenderings(graph: GraphSnapshot): void {
  const mermaid = toMermaid(graph);
  const dot = toDot(graph);
  // No control character reaches the text but the line breaks between statements.
  expect(RAW_CONTROL.test(mermaid), "raw control character in Mermaid").to.equal(false);
  expect(RAW_CONTROL.test(dot), "raw control character in DOT").to.equal(false);
  expect(canon(parseDot(dot))).to.deep.equal(canon(expected(graph, "\n")));
  return void mermaid;
}

async function checkMermaid(graph: GraphSnapshot): Promise<void> {
  expect(canon(await parseMermaid(toMermaid(graph)))).to.deep.equal(canon(expected(graph, "<br/>")));
}

describe("hardening: every rendering escapes every name", () => {
  it("a token or scope name that starts with a backtick still gives a Mermaid diagram that parses, with the same labels", async () => {
    const { c, graph } = await graphWith(["`db", "repo"], ["app", "`request"]);
    expect(graph.instances.map((i) => i.token)).to.deep.equal(["`db", "repo"]);
    await checkMermaid(graph);
    checkRenderings(graph);
    await c.close();
  });

  it("every hand-picked hostile name, as a token and as a scope name, renders to a graph that parses to the snapshot", async () => {
    for (const name of HOSTILE) {
      const { c, graph } = await graphWith([name, `${name}2`, `${name}3`], [name, name]);
      expect(
        graph.instances.map((i) => i.token),
        JSON.stringify(name.slice(0, 40)),
      ).to.deep.equal([name, `${name}2`, `${name}3`]);
      expect(graph.scopes.map((s) => s.name)).to.deep.equal([name, name]);
      await checkMermaid(graph);
      checkRenderings(graph);
      await c.close();
    }
  });

  it("property: any token and scope names render to graphs that parse to the snapshot's labels, nesting and edges", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(hostileName, { minLength: 1, maxLength: 4 }),
        fc.array(hostileName, { minLength: 2, maxLength: 3 }),
        async (tokens, scopes) => {
          const { c, graph } = await graphWith(tokens, scopes);
          // A scoped token has one instance per scope: compare the set of names.
          expect([...new Set(graph.instances.map((i) => i.token))].sort()).to.deep.equal([...tokens].sort());
          await checkMermaid(graph);
          checkRenderings(graph);
          await c.close();
        },
      ),
      propertyOptions(25),
    );
  });

  it("property: a hand-made snapshot with hostile lifetimes, states and names still renders to graphs that parse to it", async () => {
    const snapshot: fc.Arbitrary<GraphSnapshot> = fc
      .record({
        scopeNames: fc.array(fc.record({ name: hostileName, state: hostileName }), {
          minLength: 1,
          maxLength: 3,
        }),
        tokens: fc.array(fc.record({ token: hostileName, lifetime: hostileName, state: hostileName }), {
          maxLength: 3,
        }),
      })
      .map(({ scopeNames, tokens }) => {
        const scopes = scopeNames.map(({ name, state }, k) => ({
          id: `s${k + 1}`,
          name,
          ...(k > 0 ? { parent: `s${k}` } : {}),
          state,
        }));
        const instances = tokens.map((t, k) => ({
          id: `i${k + 1}`,
          token: t.token,
          lifetime: t.lifetime as Lifetime,
          state: t.state,
          refCount: k,
          holders: [`s${scopes.length}`, ...(k > 0 ? [`i${k}`] : [])],
          dependsOn: [],
          ...(k === 0 ? { pinnedBy: "s1" } : {}),
        }));
        return { scopes, instances };
      });
    await fc.assert(
      fc.asyncProperty(snapshot, async (graph) => {
        await checkMermaid(graph);
        checkRenderings(graph);
      }),
      propertyOptions(25),
    );
  });

  it("a hand-made snapshot with hostile ids still renders to graphs that parse, with every node and edge", async () => {
    const ids = ["end", "a b", "x-->y", "__proto__", 'q"]', "subgraph", "s1_anchor", "7"];
    const graph: GraphSnapshot = {
      scopes: [
        { id: ids[0]!, name: "root", state: "open" },
        { id: ids[1]!, name: "child", parent: ids[0]!, state: "open" },
      ],
      instances: ids.slice(2).map((id, k) => ({
        id,
        token: `t${k}`,
        lifetime: "shared" as Lifetime,
        state: "ready",
        refCount: 1,
        holders: [k === 0 ? ids[1]! : ids[k + 1]!],
        dependsOn: [],
      })),
    };
    for (const parsed of [await parseMermaid(toMermaid(graph)), parseDot(toDot(graph))]) {
      expect(parsed.clusters.map((s) => s.label).sort()).to.deep.equal(["child (open)", "root (open)"]);
      expect(parsed.nodes.map((n) => n.label.split(/<br\/>|\n/)[0]).sort()).to.deep.equal([
        "t0",
        "t1",
        "t2",
        "t3",
        "t4",
        "t5",
      ]);
      expect(parsed.edges).to.have.length(6);
      expect(new Set(parsed.nodes.map((n) => n.id)).size).to.equal(6);
    }
  });
  it("a chain of 20,000 nested scopes renders without recursion: every cluster opens and closes", () => {
    const depth = 20_000;
    const graph: GraphSnapshot = {
      scopes: Array.from({ length: depth }, (_, k) => ({
        id: `s${k + 1}`,
        name: `n${k}`,
        ...(k > 0 ? { parent: `s${k}` } : {}),
        state: "open",
      })),
      instances: [],
    };
    const mermaid = toMermaid(graph).split("\n");
    expect(mermaid.filter((l) => l.trimStart().startsWith("subgraph "))).to.have.length(depth);
    expect(mermaid.filter((l) => l.trim() === "end")).to.have.length(depth);
    const dot = parseDot(toDot(graph));
    expect(dot.clusters).to.have.length(depth);
    expect(dot.clusters[depth - 1]).to.deep.equal({
      id: `s${depth}`,
      label: `n${depth - 1} (open)`,
      parent: `s${depth - 1}`,
    });
  });
  it("a hand-made snapshot whose scope parents form a cycle still shows every scope once", async () => {
    const graph: GraphSnapshot = {
      scopes: [
        { id: "s1", name: "a", parent: "s2", state: "open" },
        { id: "s2", name: "b", parent: "s1", state: "open" },
      ],
      instances: [],
    };
    for (const parsed of [await parseMermaid(toMermaid(graph)), parseDot(toDot(graph))]) {
      expect(parsed.clusters.map((c) => c.label).sort()).to.deep.equal(["a (open)", "b (open)"]);
    }
  });
});
