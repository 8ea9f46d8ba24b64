// A facet-style Service registered in the container is started by it and stopped at its disposal, in
// dependency order; a background-task crash is a crash of the instance (SEMANTICS 5.11).
import { expect } from "chai";
import { Container, inject, injectable, ScopeDiedError, Service } from "asyncscope";
import { delay, settle, wait } from "../support/helpers.js";

describe("facet-style services in the container", () => {
  it("starts a Service before anyone receives it and stops it at disposal, dependents first", async () => {
    const log: string[] = [];
    class Repo extends Service {
      override async start(): Promise<void> {
        log.push(`Repo:start running=${this.running}`);
      }
      override async stop(): Promise<void> {
        log.push("Repo:stop");
      }
    }
    @injectable()
    class Api extends Service {
      constructor(@inject("repo") readonly repo: Repo) {
        super();
      }
      override async start(): Promise<void> {
        log.push(`Api:start repo.running=${this.repo.running}`);
      }
      override async stop(): Promise<void> {
        log.push("Api:stop");
      }
    }
    const c = new Container();
    c.register("repo", { useClass: Repo });
    c.register(Api, { useClass: Api });
    const q = c.createScope();
    const api = await q.resolve(Api);
    expect(api.running).to.equal(true);
    await q.close();
    expect(log).to.deep.equal([
      "Repo:start running=false",
      "Api:start repo.running=true",
      "Api:stop",
      "Repo:stop",
    ]);
    expect(api.running).to.equal(false);
    await c.close();
  });

  it("a Service whose start fails is not delivered, and its dependencies are released", async () => {
    const log: string[] = [];
    const E = new Error("no port");
    class Dep extends Service {
      override async stop(): Promise<void> {
        log.push("Dep:stop");
      }
    }
    @injectable()
    class Bad extends Service {
      constructor(readonly dep: Dep) {
        super();
      }
      override async start(): Promise<void> {
        throw E;
      }
    }
    const c = new Container();
    c.register(Dep, { useClass: Dep });
    const r = await settle(c.createScope().resolve(Bad));
    expect((r as { error: unknown }).error).to.equal(E);
    expect(log).to.deep.equal(["Dep:stop"]);
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
  });

  it("a background task crash of a Service cancels the scopes holding it with ScopeDiedError", async () => {
    const E = new Error("lost connection");
    class Conn extends Service {
      override async start(): Promise<void> {
        this.addTask(async (signal) => {
          await wait(30, signal);
          throw E;
        });
      }
    }
    const c = new Container();
    c.register(Conn, { useClass: Conn });
    const q = c.createScope();
    const conn = await q.resolve(Conn);
    const r = await settle(q.done);
    const err = (r as { error: unknown }).error as ScopeDiedError;
    expect(err).to.be.instanceOf(ScopeDiedError);
    expect(err.service).to.equal("Conn");
    expect(err.cause).to.equal(E);
    await delay(5);
    expect(conn.running).to.equal(false);
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
  });
});
