// A transient built synchronously that has nothing to run at close and holds only pinned instances is not
// tracked: the scope that resolved it holds its dependencies itself (CHANGELOG 0.2.0, BENCHMARKS finding 9).
import { expect } from "chai";
import { Container, currentScope, Lifetime, ScopeDiedError } from "asyncscope";

class Config {}
class Repo {
  static inject = [Config] as const;
  constructor(readonly config: Config) {}
}
class Handler {
  static inject = [Repo] as const;
  constructor(readonly repo: Repo) {}
}

function setup(extra?: (c: Container) => void): Container {
  const c = new Container()
    .register(Config, { useClass: Config }, { lifetime: Lifetime.Singleton })
    .register(Repo, { useClass: Repo }, { lifetime: Lifetime.Scoped })
    .register(Handler, { useClass: Handler }, { lifetime: Lifetime.Transient });
  extra?.(c);
  return c;
}

const tokens = (c: Container): string[] => c.inspect().instances.map((i) => i.token);

describe("untracked transients", () => {
  it("are built fresh for every resolve, are not listed, and their scope holds their dependencies", async () => {
    const c = setup();
    const q = c.createScope("q");
    const a = await q.resolve(Handler);
    const b = await q.resolve(Handler);
    expect(a).to.not.equal(b);
    expect(a.repo).to.equal(b.repo);
    const repo = c.inspect().instances.find((i) => i.token === "Repo")!;
    expect(tokens(c)).to.deep.equal(["Config", "Repo"]);
    // Two Handlers each held Repo once: the scope now holds it twice; Config is held by Repo.
    expect(repo.refCount).to.equal(2);
    expect(repo.holders).to.deep.equal([c.inspect().scopes.find((s) => s.name === "q")!.id]);
    await q.close();
    expect(tokens(c)).to.deep.equal(["Config"]);
    await c.close();
  });

  it("resolving one many times in a long-lived scope keeps nothing per resolve", async () => {
    const c = setup();
    const q = c.createScope();
    for (let i = 0; i < 1000; i++) await q.resolve(Handler);
    const repo = c.inspect().instances.find((i) => i.token === "Repo")!;
    expect(repo.refCount).to.equal(1000);
    expect(c.inspect().instances).to.have.length(2);
    await c.close();
  });

  it("release() of an untracked transient is a no-op; the scope still closes in order", async () => {
    const log: string[] = [];
    const c = setup((c) =>
      c.register(
        Repo,
        {
          useFactory: () =>
            Object.assign(new Repo(new Config()), {
              [Symbol.asyncDispose]: async () => void log.push("Repo:dispose"),
            }),
        },
        { lifetime: Lifetime.Scoped },
      ),
    );
    const q = c.createScope();
    await q.resolve(Handler);
    await q.release(Handler);
    expect(log).to.deep.equal([]);
    await q.close();
    expect(log).to.deep.equal(["Repo:dispose"]);
    await c.close();
  });

  // A singleton is pinned by the root, whose cancellation cancels every child scope without a reason: the
  // scope that holds the crashed service must get its ScopeDiedError first (SEMANTICS 5.11).
  for (const tracked of [false, true]) {
    it(`a crash of a singleton it depends on reaches the scope that resolved it (${tracked ? "tracked" : "untracked"})`, async () => {
      const crash = new Error("db lost");
      let fail!: () => void;
      class Db {}
      class UsesDb {
        static inject = [Db] as const;
        constructor(readonly db: Db) {
          if (tracked) Object.assign(this, { dispose: () => undefined });
        }
      }
      const c = new Container()
        .register(
          Db,
          {
            useFactory: (ctx) => {
              ctx.scope.spawn(() => new Promise<void>((_, reject) => (fail = () => reject(crash))));
              return new Db();
            },
          },
          { lifetime: Lifetime.Singleton },
        )
        .register(UsesDb, { useClass: UsesDb }, { lifetime: Lifetime.Transient });
      const q = c.createScope();
      await q.resolve(UsesDb);
      expect(tokens(c)).to.deep.equal(tracked ? ["Db", "UsesDb"] : ["Db"]);
      fail();
      await new Promise((resolve) => setImmediate(resolve));
      expect(q.signal.aborted).to.equal(true);
      const err = await q.close().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ScopeDiedError);
      expect((err as ScopeDiedError).service).to.equal("Db");
      expect((err as ScopeDiedError).cause).to.equal(crash);
      await c.close().catch(() => undefined);
    });
  }

  describe("stay tracked when they need their record", () => {
    it("with a disposer", async () => {
      const log: string[] = [];
      class Disposing {
        static inject = [Repo] as const;
        constructor(readonly repo: Repo) {}
        [Symbol.dispose](): void {
          log.push("Disposing:dispose");
        }
      }
      const c = setup((c) =>
        c.register(Disposing, { useClass: Disposing }, { lifetime: Lifetime.Transient }),
      );
      const q = c.createScope();
      await q.resolve(Disposing);
      expect(tokens(c)).to.deep.equal(["Config", "Repo", "Disposing"]);
      await q.release(Disposing);
      expect(log).to.deep.equal(["Disposing:dispose"]);
      await c.close();
    });

    it("with a shared dependency: release() lets the shared one go", async () => {
      const log: string[] = [];
      class Shared {
        [Symbol.dispose](): void {
          log.push("Shared:dispose");
        }
      }
      class UsesShared {
        static inject = [Shared] as const;
        constructor(readonly shared: Shared) {}
      }
      const c = new Container()
        .register(Shared, { useClass: Shared }, { lifetime: Lifetime.Shared })
        .register(UsesShared, { useClass: UsesShared }, { lifetime: Lifetime.Transient });
      const q = c.createScope();
      await q.resolve(UsesShared);
      expect(tokens(c)).to.deep.equal(["Shared", "UsesShared"]);
      await q.release(UsesShared);
      expect(log).to.deep.equal(["Shared:dispose"]);
      await q.close();
      await c.close();
    });

    it("when its constructor used its own scope", async () => {
      class Spawner {
        static inject = [Repo] as const;
        constructor(readonly repo: Repo) {
          currentScope()!.spawn(() => undefined);
        }
      }
      const c = setup((c) => c.register(Spawner, { useClass: Spawner }, { lifetime: Lifetime.Transient }));
      const q = c.createScope();
      await q.resolve(Spawner);
      expect(tokens(c)).to.include("Spawner");
      await q.close();
      expect(tokens(c)).to.not.include("Spawner");
      await c.close();
    });

    it("when it is created for another instance (not a scope)", async () => {
      class Root {
        static inject = [Handler] as const;
        constructor(readonly handler: Handler) {}
      }
      const c = setup((c) => c.register(Root, { useClass: Root }, { lifetime: Lifetime.Scoped }));
      const q = c.createScope();
      await q.resolve(Root);
      expect(tokens(c)).to.deep.equal(["Config", "Repo", "Handler", "Root"]);
      await c.close();
    });
  });
});
