// inspect(): live scopes and instances with holders, refcounts, states and edges; toMermaid / toDot.
import { expect } from "chai";
import { Container, Lifetime, toDot, toMermaid, type Scope } from "asyncscope";
import { defineService, settle, type Log } from "../support/helpers.js";

describe("inspection", () => {
  it("inspect() lists live scopes and instances, holders, refcounts and edges; nothing after close", async () => {
    const log: Log = [];
    const c = new Container({ name: "app" });
    defineService(c, log, "db", { lifetime: Lifetime.Singleton });
    defineService(c, log, "repo", { lifetime: Lifetime.Scoped, dependsOn: ["db"] });
    const q = c.createScope("GET /notes");
    await q.resolve("repo");
    await q.resolve("repo");
    const g = c.inspect();
    const root = g.scopes.find((s) => s.name === "app")!;
    const req = g.scopes.find((s) => s.name === "GET /notes")!;
    expect(root).to.deep.equal({ id: root.id, name: "app", state: "open", kind: "root" });
    expect(req).to.deep.equal({
      id: req.id,
      name: "GET /notes",
      parent: root.id,
      state: "open",
      kind: "child",
    });
    const db = g.instances.find((i) => i.token === "db")!;
    const repo = g.instances.find((i) => i.token === "repo")!;
    expect(repo).to.deep.equal({
      id: repo.id,
      token: "repo",
      lifetime: "scoped",
      state: "ready",
      refCount: 2,
      holders: [req.id],
      dependsOn: [db.id],
      pinnedBy: req.id,
    });
    expect(db).to.deep.equal({
      id: db.id,
      token: "db",
      lifetime: "singleton",
      state: "ready",
      refCount: 1,
      holders: [repo.id],
      dependsOn: [],
      pinnedBy: root.id,
    });
    const mermaid = toMermaid(g);
    expect(mermaid).to.match(/^flowchart TB\n/);
    expect(mermaid).to.contain(`subgraph ${req.id}["GET /notes (open)"]`);
    expect(mermaid).to.contain(`${repo.id}["repo<br/>scoped · ready · refs 2"]:::scoped`);
    expect(mermaid).to.contain(`${req.id}_anchor --> ${repo.id}`);
    expect(mermaid).to.contain(`${repo.id} --> ${db.id}`);
    const dot = toDot(g);
    expect(dot).to.match(/^digraph asyncscope \{/);
    expect(dot).to.contain(`subgraph cluster_${req.id}`);
    expect(dot).to.contain(`${repo.id} -> ${db.id};`);
    await q.close();
    expect(c.inspect().instances.map((i) => i.token)).to.deep.equal(["db"]);
    await c.close();
    expect(c.inspect()).to.deep.equal({ scopes: [], instances: [] });
  });

  it("shows symbols by description and classes by name; escapes labels", async () => {
    class Weird {}
    const sym = Symbol("my <token>");
    const c = new Container();
    c.register(sym, { useFactory: () => ({}) });
    c.register(Weird, { useClass: Weird });
    const q = c.createScope('a "quoted" scope');
    await q.resolve(sym);
    await q.resolve(Weird);
    const g = c.inspect();
    expect(g.instances.map((i) => i.token).sort()).to.deep.equal(["Weird", "my <token>"]);
    const mermaid = toMermaid(g);
    expect(mermaid).to.contain("my #60;token#62;");
    expect(mermaid).to.contain("a #34;quoted#34; scope");
    expect(toDot(g)).to.contain('a \\"quoted\\" scope');
    await c.close();
  });

  it("keeps child scopes in creation order while they close out of order; a failed one is reported at close", async () => {
    const c = new Container({ name: "app" });
    const names = (): string[] => c.inspect().scopes.map((s) => s.name);
    const [a, b, d, e] = ["a", "b", "d", "e"].map((n) => c.createScope(n)) as [Scope, Scope, Scope, Scope];
    await b.close();
    await e.close();
    expect(names()).to.deep.equal(["app", "a", "d"]);
    const f = c.createScope("f");
    a.cancel(new Error("a failed"));
    expect(a.state).to.equal("closed");
    expect(names()).to.deep.equal(["app", "d", "f"]);
    // Nobody took a's error: the root keeps the scope and reports it when it closes (SEMANTICS 9.4).
    const closed = await settle(c.close());
    expect([d.state, f.state]).to.deep.equal(["closed", "closed"]);
    expect(closed.ok || (closed.error as Error).message).to.equal("a failed");
    expect(names()).to.deep.equal([]);

    const c2 = new Container();
    const g = c2.createScope("g");
    g.cancel(new Error("g failed"));
    const taken = await settle(g.done);
    expect(taken.ok || (taken.error as Error).message).to.equal("g failed");
    await c2.close(); // taken: the root no longer reports it
  });

  it("cancelling a scope cancels every child, even when an abort listener closes a sibling at once", async () => {
    const c = new Container();
    const parent = c.createScope("parent");
    const [a, b, d] = ["a", "b", "d"].map((n) => parent.createScope(n)) as [Scope, Scope, Scope];
    a.signal.addEventListener("abort", () => void b.close());
    parent.cancel();
    expect([a.state, b.state, d.state]).to.deep.equal(["closed", "closed", "closed"]);
    await parent.close();
    await c.close();
  });
});
