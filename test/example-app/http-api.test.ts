// The notes API end to end: real HTTP, real PGlite, one transaction per request.
import { expect } from "chai";
import { call, exampleApp, linesWith, type AppFixture } from "./support.js";

describe("example app: the notes API", function () {
  this.timeout(120_000);
  let app: AppFixture;

  before(async () => {
    app = await exampleApp();
  });

  const noteCount = async (): Promise<number> =>
    (await app.db.query<{ n: number }>("select count(*)::int as n from notes"))[0]!.n;

  it("creates, reads, updates and deletes a note", async () => {
    const created = await call(app, "POST", "/notes", { title: "  groceries ", body: "milk, eggs" });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ title: "groceries", body: "milk, eggs" });
    const id = created.body.id as number;

    const one = await call(app, "GET", `/notes/${id}`);
    expect(one).to.deep.include({ status: 200 });
    expect(one.body).to.include({ id, title: "groceries" });
    const all = await call(app, "GET", "/notes");
    expect(all.body.map((n: { id: number }) => n.id)).to.include(id);

    const updated = await call(app, "PUT", `/notes/${id}`, { title: "groceries", body: "milk, eggs, bread" });
    expect(updated.status).to.equal(200);
    expect(updated.body.body).to.equal("milk, eggs, bread");
    expect(new Date(updated.body.updated_at).getTime()).to.be.at.least(
      new Date(created.body.updated_at).getTime(),
    );

    expect((await call(app, "DELETE", `/notes/${id}`)).status).to.equal(204);
    expect(await call(app, "GET", `/notes/${id}`)).to.deep.equal({
      status: 404,
      body: { error: `note ${id} not found` },
    });
    expect((await call(app, "DELETE", `/notes/${id}`)).status).to.equal(404);
    expect((await call(app, "PUT", `/notes/${id}`, { title: "x" })).status).to.equal(404);
  });

  it("answers bad input with 400 and records no incident for it", async () => {
    const incidents = linesWith(app, "incident #").length;
    expect((await call(app, "POST", "/notes", { body: "no title" })).body).to.deep.equal({
      error: "title must be a non-empty string",
    });
    expect((await call(app, "POST", "/notes", { title: "x".repeat(201) })).status).to.equal(400);
    expect((await call(app, "GET", "/notes/abc")).status).to.equal(400);
    const res = await fetch(`${app.url}/notes`, { method: "POST", body: "{not json" });
    expect(res.status).to.equal(400);
    expect(await res.json()).to.deep.equal({ error: "the request body must be JSON" });
    expect(linesWith(app, "incident #").length).to.equal(incidents);
  });

  it("rolls back every insert of a request whose handler throws, and reports the error as an incident", async () => {
    const before = await noteCount();
    const res = await call(app, "POST", "/notes/import?crashAfter=2", [
      { title: "a" },
      { title: "b" },
      { title: "c" },
    ]);
    expect(res.status).to.equal(500);
    expect(res.body.error).to.equal("internal error");
    expect(res.body.incident).to.be.a("number");
    expect(await noteCount()).to.equal(before);
    const [row] = await app.db.query<{ source: string; message: string }>(
      "select source, message from errors where id = $1",
      [res.body.incident],
    );
    expect(row!.source).to.match(/^request #\d+ POST \/notes\/import$/);
    expect(row!.message).to.equal("Error: simulated crash in the import handler after 2 insert(s)");
  });

  it("rolls back an import whose third item is invalid (422), and commits a valid one", async () => {
    const before = await noteCount();
    const bad = await call(app, "POST", "/notes/import", [{ title: "a" }, { title: "b" }, { title: "" }]);
    expect(bad).to.deep.equal({
      status: 422,
      body: { error: "item 2: title must be a non-empty string; nothing was imported" },
    });
    expect(await noteCount()).to.equal(before);
    const good = await call(app, "POST", "/notes/import", [{ title: "a" }, { title: "b", body: "bee" }]);
    expect(good.status).to.equal(201);
    expect(good.body.map((n: { title: string }) => n.title)).to.deep.equal(["a", "b"]);
    expect(await noteCount()).to.equal(before + 2);
  });

  it("finds notes through the search index once the admin job has rebuilt it", async () => {
    const bird = `pelican${Date.now()}`; // a word no earlier run has used (TEST_DATABASE_URL may keep data)
    await call(app, "POST", "/notes", { title: `The ${bird} brief`, body: "a rare seabird" });
    expect((await call(app, "GET", `/search?q=${bird}`)).body).to.deep.equal([]);
    expect((await call(app, "POST", "/admin/reindex")).status).to.equal(200);
    const found = await call(app, "GET", `/search?q=rare+${bird.toUpperCase()}`);
    expect(found.body.map((n: { title: string }) => n.title)).to.deep.equal([`The ${bird} brief`]);
  });
});
