// One scope per request, disposed however the request ends; the admin module, the support library and
// the error handler of the asyncscope story, with their refcounts.
import { expect } from "chai";
import { call, eventually, exampleApp, linesWith, liveRequestScopes, type AppFixture } from "./support.js";

describe("example app: request scopes and shared services", function () {
  this.timeout(120_000);
  let app: AppFixture;

  before(async () => {
    app = await exampleApp();
  });

  const instance = (token: string) => app.container.inspect().instances.find((i) => i.token === token);
  const scopedInstances = (): string[] =>
    app.container
      .inspect()
      .instances.filter((i) => i.lifetime === "scoped")
      .map((i) => i.token);

  it("serves 200 concurrent requests and leaves no request scope and no scoped instance behind", async () => {
    const notesBefore = (await call(app, "GET", "/notes")).body.length as number;
    let mostAtOnce = 0;
    const sampler = setInterval(
      () => (mostAtOnce = Math.max(mostAtOnce, liveRequestScopes(app.container).length)),
      2,
    );
    const requests = Array.from({ length: 200 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return call(app, "POST", "/notes", { title: `load ${i}`, body: "concurrent" });
        case 1:
          return call(app, "GET", "/notes");
        case 2:
          return call(app, "GET", "/search?q=concurrent");
        default:
          return call(app, "GET", "/slow?ms=20");
      }
    });
    const results = await Promise.all(requests);
    clearInterval(sampler);
    expect(results.filter((r) => r.status >= 300).map((r) => [r.status, r.body])).to.deep.equal([]);
    expect(mostAtOnce, "requests overlapped").to.be.greaterThan(1);
    expect(liveRequestScopes(app.container)).to.deep.equal([]);
    expect(scopedInstances()).to.deep.equal([]);
    expect(app.app.inFlight).to.equal(0);
    expect((await call(app, "GET", "/notes")).body.length).to.equal(notesBefore + 50);
  });

  it("disposes the scope of a request whose client went away, long before the handler would have finished", async () => {
    const ctl = new AbortController();
    const pending = fetch(`${app.url}/slow?ms=20000`, { signal: ctl.signal }).catch((err: unknown) => err);
    let name = "";
    await eventually("the slow request has its scope and services", () => {
      name = liveRequestScopes(app.container).find((n) => n.endsWith("GET /slow")) ?? "";
      return name !== "" && scopedInstances().includes("RequestTransaction");
    });
    const id = /^request #(\d+)/.exec(name)![1];
    ctl.abort();
    expect(((await pending) as Error).name).to.equal("AbortError");
    await eventually(
      "the request's scope is disposed",
      () => !liveRequestScopes(app.container).includes(name),
      3000,
    );
    expect(scopedInstances()).to.deep.equal([]);
    await eventually("the request is logged", () => linesWith(app, `#${id} GET /slow →`).length > 0);
    const told = linesWith(app, `#${id} `).map((l) =>
      l.replace(/^\S+ \[\w+\]\s+/, "").replace(/\d+ ms/, "N ms"),
    );
    expect(told).to.deep.equal([
      `#${id} the client went away: cancelling its scope`,
      `#${id} GET /slow → 503 (N ms)`,
    ]);
  });

  it("loads the error handler on the first error only, and shares it afterwards", async () => {
    await call(app, "POST", "/notes/import?crashAfter=0", [{ title: "x" }]);
    await call(app, "POST", "/notes/import?crashAfter=0", [{ title: "y" }]);
    const loaded = app.lines.findIndex((l) =>
      l.includes("+ ErrorHandler (shared) loaded on the first error"),
    );
    const firstIncident = app.lines.findIndex((l) => l.includes("incident #"));
    expect(loaded).to.be.within(0, firstIncident);
    expect(linesWith(app, "+ ErrorHandler")).to.have.length(1);
    const handler = instance("ErrorHandler")!;
    const appScope = app.container.inspect().scopes.find((s) => s.name === "app")!;
    expect(handler).to.include({ lifetime: "shared", state: "ready", refCount: 1 });
    expect(handler.holders).to.deep.equal([appScope.id]);
  });

  it("keeps the error handler when the admin work that also used it ends (admin → support library → db)", async () => {
    const unindexable = await call(app, "POST", "/notes", { title: "a long word", body: "y".repeat(80) });
    const mark = app.lines.length;
    const reindex = call(app, "POST", "/admin/reindex?holdMs=400");

    await eventually(
      "the admin module holds the error handler too",
      () => instance("ErrorHandler")?.refCount === 2,
    );
    const during = app.container.inspect();
    const byId = new Map(during.instances.map((i) => [i.id, i]));
    const admin = during.instances.find((i) => i.token === "AdminModule")!;
    const support = during.instances.find((i) => i.token === "SearchIndex")!;
    const db = during.instances.find((i) => i.token === "db")!;
    expect(admin.dependsOn.map((d) => byId.get(d)!.token)).to.deep.equal(["SearchIndex"]);
    expect(support.dependsOn).to.deep.equal([db.id]);
    expect(instance("ErrorHandler")!.dependsOn).to.deep.equal([db.id]);

    const res = await reindex;
    expect(res.status).to.equal(200);
    expect(res.body.skipped.map((s: { noteId: number }) => s.noteId)).to.deep.equal([unindexable.body.id]);

    expect(instance("AdminModule")).to.equal(undefined);
    expect(instance("SearchIndex")).to.equal(undefined);
    expect(instance("ErrorHandler")).to.include({ state: "ready", refCount: 1 });
    const story = app.lines
      .slice(mark)
      .filter((l) => /\[(lifetime|errors)\]/.test(l))
      .map((l) => l.replace(/^\S+ \[\w+\]\s+/, "").replace(/incident #\d+/, "incident #N"));
    expect(story).to.deep.equal([
      "+ SearchIndex (support library, shared) created: it holds the database",
      "+ AdminModule (shared) created: it holds the SearchIndex",
      `incident #N from admin.reindex: UnindexableNoteError: note ${unindexable.body.id} cannot be indexed: a word of 80 characters (the index takes up to 64)`,
      "AdminModule: the admin work is over, its last user let go",
      "- AdminModule disposed: it releases the SearchIndex and the ErrorHandler",
      "SearchIndex: its last user let go",
      "- SearchIndex disposed: it releases the database",
      story.at(-1)!,
    ]);
    expect(story.at(-1)).to.match(
      /^after the admin work, still alive: db \(refs \d+: .*\), ErrorHandler \(refs 1: app\)$/,
    );
    await call(app, "DELETE", `/notes/${unindexable.body.id}`);
  });
});
