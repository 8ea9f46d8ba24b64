// The user's design card: @scopedService('db') resolved by class or by 'db' through constructor injection,
// one container.createScope() per request, shared and refcounted across concurrent requests, disposed
// through Symbol.asyncDispose when the last scope releases it, with @onNoMoreDependents first.
import { expect } from "chai";
import {
  Container,
  inject,
  injectable,
  Lifetime,
  onInit,
  onNoMoreDependents,
  scopedService,
  type Scope,
} from "asyncscope";
import { delay } from "../support/helpers.js";

const log: string[] = [];

@scopedService("request-db")
class Database implements AsyncDisposable {
  static created = 0;
  readonly id = ++Database.created;
  open = false;
  @onInit()
  async connect(): Promise<void> {
    await delay(5);
    this.open = true;
    log.push(`db${this.id}:connect`);
  }
  @onNoMoreDependents()
  async drain(): Promise<void> {
    log.push(`db${this.id}:drain`);
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await delay(5);
    this.open = false;
    log.push(`db${this.id}:dispose`);
  }
}

@scopedService(undefined, { lifetime: Lifetime.Scoped })
class NotesRepo {
  constructor(@inject("request-db") readonly db: Database) {}
  async [Symbol.asyncDispose](): Promise<void> {
    log.push("repo:dispose");
  }
}

@injectable()
class Handler {
  constructor(
    readonly repo: NotesRepo,
    readonly db: Database,
  ) {}
}

describe("per-request scopes with @scopedService('db')", () => {
  beforeEach(() => {
    log.length = 0;
  });

  it("resolves by class and by token to one shared instance, and disposes it after the last request", async () => {
    const c = new Container();
    const handle = async (scope: Scope): Promise<Handler> => {
      const h = await scope.resolve(Handler);
      await delay(20);
      return h;
    };
    const scopes = [c.createScope("r1"), c.createScope("r2"), c.createScope("r3")];
    const handlers = await Promise.all(scopes.map(handle));
    const db = handlers[0]!.db;
    for (const h of handlers) {
      expect(h.db).to.equal(db);
      expect(h.repo.db).to.equal(db);
    }
    expect(await scopes[0]!.resolve("request-db")).to.equal(db);
    expect(new Set(handlers.map((h) => h.repo)).size).to.equal(3);
    expect(db.open).to.equal(true);
    expect(log).to.deep.equal([`db${db.id}:connect`]);
    const dbInfo = c.inspect().instances.find((i) => i.token === "request-db")!;
    expect(dbInfo.refCount).to.equal(3 + 3 + 1);

    await scopes[0]!.close();
    await scopes[1]!.close();
    expect(log).to.deep.equal([`db${db.id}:connect`, "repo:dispose", "repo:dispose"]);
    expect(db.open).to.equal(true);
    await scopes[2]!.close();
    expect(log).to.deep.equal([
      `db${db.id}:connect`,
      "repo:dispose",
      "repo:dispose",
      "repo:dispose",
      `db${db.id}:drain`,
      `db${db.id}:dispose`,
    ]);
    expect(db.open).to.equal(false);
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
  });

  it("a request scope under await using disposes its scoped services even when the handler throws", async () => {
    const c = new Container();
    const boom = new Error("boom");
    let caught: unknown;
    try {
      await using scope = c.createScope("failing request");
      await scope.resolve(Handler);
      throw boom;
    } catch (err) {
      caught = err;
    }
    expect(caught).to.equal(boom);
    expect(log.filter((l) => l.endsWith(":dispose"))).to.have.length(2);
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
  });
});
