// /_lifetimes: the live graph as JSON, Mermaid and DOT, and the page that draws it — checked in a real
// headless Chromium while requests run.
import { expect } from "chai";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { call, eventually, exampleApp, liveRequestScopes, type AppFixture } from "./support.js";

// The page's globals, for the functions that run inside the browser (this project compiles without DOM types).
declare const document: any;
declare const window: any;

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const artifacts = fileURLToPath(new URL("../../../test-artifacts/", import.meta.url));

describe("example app: the lifetime graph", function () {
  this.timeout(120_000);
  let app: AppFixture;

  before(async () => {
    app = await exampleApp();
  });

  it("serves inspect() as JSON, and toMermaid / toDot renderings of it", async () => {
    const graph = await call(app, "GET", "/_lifetimes");
    expect(graph.status).to.equal(200);
    const root = graph.body.scopes.find((s: { parent?: string }) => s.parent === undefined);
    expect(root).to.include({ name: "example-app", state: "open" });
    const db = graph.body.instances.find((i: { token: string }) => i.token === "db");
    expect(db).to.include({ lifetime: "shared", state: "ready" });
    expect(db.holders).to.include(root.id);

    const mmd = await fetch(`${app.url}/_lifetimes/graph.mmd`);
    expect(await mmd.text()).to.match(/^flowchart TB\n[\s\S]*db<br\/>shared · ready · refs \d+/);
    const dot = await fetch(`${app.url}/_lifetimes/graph.dot`);
    expect(await dot.text()).to.match(/^digraph asyncscope \{/);
  });

  it("serves the page and its assets itself, Mermaid included", async () => {
    const page = await fetch(`${app.url}/_lifetimes/graph`);
    expect(page.headers.get("content-type")).to.match(/^text\/html/);
    const html = await page.text();
    for (const asset of html.match(/\/_lifetimes\/assets\/[\w.]+/g)!) {
      const res = await fetch(`${app.url}${asset}`);
      expect(res.status, asset).to.equal(200);
      expect((await res.arrayBuffer()).byteLength, asset).to.be.greaterThan(1000);
    }
    expect((await fetch(`${app.url}/_lifetimes/assets/nope.js`)).status).to.equal(404);
  });

  it("draws the live graph in a browser: the database with its refcount, while requests run", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).to.equal(true);
    let browser: Browser | undefined;
    // Requests that outlast the browser's start however slow the machine is; the test ends them by going
    // away (the app cancels a request whose client left).
    const gone = new AbortController();
    const slow = Array.from({ length: 4 }, () =>
      fetch(`${app.url}/slow?ms=60000`, { signal: gone.signal }).then(
        (res) => res.text(),
        () => undefined,
      ),
    );
    try {
      await eventually("the slow requests run", () => liveRequestScopes(app.container).length >= 4);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      const problems: string[] = [];
      page.on("console", (m) => void (m.type() === "error" && problems.push(m.text())));
      page.on("pageerror", (err) => problems.push(err.message));
      page.on("requestfailed", (req) => problems.push(`${req.url()} failed`));
      await page.goto(`${app.url}/_lifetimes/graph`);
      // The first drawing that shows the four slow requests.
      await page.waitForFunction(
        () => {
          const scopes: { name: string }[] = window.lifetimes?.snapshot.scopes ?? [];
          const requests = scopes.filter((s) => s.name.endsWith("GET /slow")).length;
          return requests >= 4 && document.querySelector("#graph svg") !== null;
        },
        null,
        { timeout: 15_000 },
      );
      const shown = await page.evaluate(() => {
        const instances: { token: string; refCount: number }[] = window.lifetimes.snapshot.instances;
        const db = instances.find((i) => i.token === "db")!;
        const dbNode = [...document.querySelectorAll("#graph svg g.node")].find(
          (n: any) => n.querySelector("b")?.textContent === "db",
        );
        const row = document.querySelector('#instances tr[data-token="db"] td.refs')?.textContent;
        return {
          refCount: db.refCount,
          meta: dbNode?.querySelector(".meta")?.textContent,
          refs: dbNode?.querySelector(".refs")?.textContent,
          row,
          stats: document.querySelector("#stats")?.textContent,
        };
      });
      // The root holds the database, and so does each request's transaction.
      expect(shown.refCount).to.be.at.least(5);
      expect(shown.meta).to.equal("shared · ready");
      expect(shown.refs).to.equal(`refs ${shown.refCount}`);
      expect(shown.row).to.equal(String(shown.refCount));
      expect(shown.stats).to.contain(`db refs ${shown.refCount}`);
      expect(problems).to.deep.equal([]);
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: `${artifacts}lifetimes-graph.png`, fullPage: true });
    } finally {
      await browser?.close();
      gone.abort();
      await Promise.all(slow);
      await eventually("the slow requests are gone", () => liveRequestScopes(app.container).length === 0);
    }
  });
});
