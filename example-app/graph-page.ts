import { toDot, toMermaid, type Container, type GraphSnapshot } from "asyncscope";
import { Hono } from "hono";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The page's own script and stylesheet (plain browser files, served as they are). */
const publicDir = fileURLToPath(new URL("../../example-app/public/", import.meta.url));
/** Mermaid's browser bundle, from node_modules: the page works without a network. */
const mermaidBundle = createRequire(import.meta.url).resolve("mermaid/dist/mermaid.min.js");

const ASSETS: Record<string, { file: string; type: string }> = {
  "mermaid.min.js": { file: mermaidBundle, type: "text/javascript; charset=utf-8" },
  "graph.js": { file: `${publicDir}graph.js`, type: "text/javascript; charset=utf-8" },
  "graph.css": { file: `${publicDir}graph.css`, type: "text/css; charset=utf-8" },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>asyncscope · live lifetimes</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/_lifetimes/assets/graph.css">
</head>
<body>
  <header>
    <h1><span class="brand">asyncscope</span> live lifetimes</h1>
    <div id="stats" class="stats"></div>
    <div class="controls">
      <span id="status" class="status">connecting…</span>
      <label>view
        <select id="view">
          <option value="styled">styled (this page)</option>
          <option value="library">library: toMermaid()</option>
        </select>
      </label>
      <button id="pause" type="button">pause</button>
    </div>
  </header>
  <section class="legend" id="legend"></section>
  <section class="try">
    <span>make it move:</span>
    <button type="button" data-try="slow">5 slow requests (4 s)</button>
    <button type="button" data-try="reindex">admin reindex (holds 4 s)</button>
    <button type="button" data-try="crash">an import that crashes</button>
    <span id="try-result" class="muted"></span>
  </section>
  <main>
    <div id="graph" class="graph" aria-live="polite"></div>
    <aside>
      <h2>Live scopes <span id="scope-count" class="muted"></span></h2>
      <table id="scopes"><thead><tr><th>scope</th><th>state</th><th>holds</th></tr></thead><tbody></tbody></table>
      <h2>Live instances <span id="instance-count" class="muted"></span></h2>
      <table id="instances"><thead><tr><th>instance</th><th>lifetime</th><th>state</th><th>refs</th><th>held by</th></tr></thead><tbody></tbody></table>
    </aside>
  </main>
  <footer>
    Polls <a href="/_lifetimes">/_lifetimes</a> (<code>container.inspect()</code>) every second ·
    library renderings: <a href="/_lifetimes/graph.mmd">graph.mmd</a> (<code>toMermaid</code>),
    <a href="/_lifetimes/graph.dot">graph.dot</a> (<code>toDot</code>)
  </footer>
  <script src="/_lifetimes/assets/mermaid.min.js"></script>
  <script src="/_lifetimes/assets/graph.js"></script>
</body>
</html>
`;

/**
 * `/_lifetimes`: the container's live graph as JSON (`inspect()`), as Mermaid and DOT text (`toMermaid`,
 * `toDot`), and as a page that draws it and redraws it while requests run.
 */
export function lifetimeRoutes(container: Container): Hono {
  const routes = new Hono();
  const fresh = { "cache-control": "no-store" };
  routes.get("/", (c) => c.json(container.inspect(), 200, fresh));
  routes.get("/graph", (c) => c.html(PAGE, 200, fresh));
  routes.get("/graph.mmd", (c) => c.text(toMermaid(container.inspect()), 200, fresh));
  routes.get("/graph.dot", (c) => c.text(toDot(container.inspect()), 200, fresh));
  routes.get("/assets/:name", async (c) => {
    const asset = ASSETS[c.req.param("name")];
    if (!asset) return c.notFound();
    return c.body(await readFile(asset.file), 200, {
      "content-type": asset.type,
      "cache-control": "max-age=300",
    });
  });
  return routes;
}

/** One line about what is alive: `db (refs 2: example-app, ErrorHandler), ErrorHandler (refs 1: app)`. */
export function describeLive(graph: GraphSnapshot): string {
  const names = new Map<string, string>([
    ...graph.scopes.map((s) => [s.id, s.name] as const),
    ...graph.instances.map((i) => [i.id, i.token] as const),
  ]);
  if (graph.instances.length === 0) return "nothing";
  return graph.instances
    .map((i) => `${i.token} (refs ${i.refCount}: ${i.holders.map((h) => names.get(h) ?? h).join(", ")})`)
    .join(", ");
}
