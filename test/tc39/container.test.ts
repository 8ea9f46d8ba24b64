// The same classes under TC39 standard decorators: no parameter decorators and no metadata, so
// constructor dependencies are declared with `static inject = [...] as const`.
import { expect } from "chai";
import { Container, onInit, onNoMoreDependents, scopedService } from "asyncscope";

describe("TC39 standard decorators", () => {
  it("resolve classes declared with static inject, with @onInit and @onNoMoreDependents hooks", async () => {
    const log: string[] = [];

    @scopedService("config-tc39")
    class Config {
      readonly url = "mem://";
    }

    @scopedService("db-tc39")
    class Db {
      static inject = [Config] as const;
      constructor(readonly config: Config) {}
      @onInit()
      async connect(): Promise<void> {
        log.push(`connect ${this.config.url}`);
      }
      @onNoMoreDependents()
      drain(): void {
        log.push("drain");
      }
      async [Symbol.asyncDispose](): Promise<void> {
        log.push("db disposed");
      }
    }

    class Repo {
      static inject = ["db-tc39"] as const;
      constructor(readonly db: Db) {}
    }

    const c = new Container();
    const q = c.createScope();
    const repo = await q.resolve(Repo);
    expect(repo).to.be.instanceOf(Repo);
    expect(repo.db).to.be.instanceOf(Db);
    expect(repo.db).to.equal(await q.resolve(Db));
    expect(log).to.deep.equal(["connect mem://"]);
    await q.close();
    expect(log).to.deep.equal(["connect mem://", "drain", "db disposed"]);
    await c.close();
  });

  it("rejects @scopedService on something that is not a class", () => {
    expect(() =>
      (scopedService() as (v: unknown, c: unknown) => void)(() => 1, { kind: "method", name: "x" }),
    ).to.throw(/only decorate a class/);
  });
});
