// Isolation: a request scope never sees another request's scoped instances, however their resolves
// interleave, and a scope can release only its own references (not its parent's, nor a sibling's).
import { expect } from "chai";
import fc from "fast-check";
import { Container, Lifetime, type Scope } from "asyncscope";
import { delay, loggedContainer, propertyOptions } from "../support/helpers.js";

interface Ctx {
  readonly id: number;
  disposedBy?: string;
}
interface Repo {
  readonly ctx: Ctx;
}
interface Handler {
  readonly repo: Repo;
  readonly ctx: Ctx;
  readonly shared: object;
}

/** ctx and repo are scoped (repo on ctx), handler transient (on repo, ctx and a shared service). */
function requestServices(pause: (what: string) => Promise<void>) {
  const { c, logger } = loggedContainer();
  let ids = 0;
  const ctxDisposals: number[] = [];
  c.register(
    "ctx",
    {
      useFactory: async () => {
        const ctx: Ctx = { id: ++ids };
        await pause("ctx");
        return Object.assign(ctx, { dispose: () => void ctxDisposals.push(ctx.id) });
      },
    },
    { lifetime: Lifetime.Scoped },
  );
  c.register(
    "repo",
    {
      useFactory: async (ctx) => {
        await pause("repo");
        return { ctx: ctx.deps[0] } as Repo;
      },
    },
    { lifetime: Lifetime.Scoped, dependsOn: ["ctx"] },
  );
  c.register("shared", { useFactory: () => ({}) });
  c.register(
    "handler",
    {
      useFactory: async (ctx) => {
        await pause("handler");
        const [repo, own, shared] = ctx.deps as [Repo, Ctx, object];
        return { repo, ctx: own, shared } as Handler;
      },
    },
    { lifetime: Lifetime.Transient, dependsOn: [["repo", "ctx", "shared"]] },
  );
  return { c, logger, ctxDisposals };
}

/** What one request sees: every resolve in any order, concurrently. */
async function handle(q: Scope, order: string[]): Promise<Ctx[]> {
  const seen = await Promise.all(order.map((t) => q.resolve<Handler | Repo | Ctx>(t)));
  const ctxs = seen.map((v) => ("id" in v ? v : v.ctx));
  for (const v of seen) if ("repo" in v) ctxs.push(v.repo.ctx);
  return ctxs;
}

const order = fc.shuffledSubarray(["handler", "repo", "ctx", "handler", "repo", "ctx"], { minLength: 1 });

describe("isolation", function () {
  this.timeout(60_000);

  it("concurrent requests with random delays each see only their own scoped instances", async () => {
    const { c, logger, ctxDisposals } = requestServices(() => delay(Math.floor(Math.random() * 3)));
    const scopes = Array.from({ length: 200 }, (_, i) => c.createScope(`request ${i}`));
    const results = await Promise.all(
      scopes.map((q, i) => handle(q, i % 2 ? ["handler", "repo", "ctx"] : ["ctx", "handler", "handler"])),
    );
    const owner = new Map<number, number>();
    results.forEach((ctxs, i) => {
      expect(new Set(ctxs.map((x) => x.id)).size, `request ${i} sees one ctx`).to.equal(1);
      const id = ctxs[0]!.id;
      expect(owner.has(id), `ctx ${id} is seen by request ${i} and by request ${owner.get(id)}`).to.equal(
        false,
      );
      owner.set(id, i);
    });
    // Another request's lookup never finds it either.
    const stranger = c.createScope("stranger");
    expect(stranger.lookup("ctx")).to.equal(undefined);
    await Promise.all(scopes.map((q) => q.close()));
    expect(ctxDisposals.sort((a, b) => a - b)).to.deep.equal([...owner.keys()].sort((a, b) => a - b));
    await stranger.close();
    expect(c.inspect().instances).to.deep.equal([]);
    await c.close();
    expect(logger.entries).to.deep.equal([]);
  });

  it("under every interleaving of their resolves, requests and their child scopes keep to their own", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(order, { minLength: 2, maxLength: 4 }), async (s, orders) => {
        const { c, logger } = requestServices((what) => s.schedule(Promise.resolve(), what));
        const scopes = orders.map((_, i) => c.createScope(`request ${i}`));
        // Each request also has a child scope (a sub-task), which gets scoped instances of its own.
        const children = scopes.map((q) => q.createScope(`${q.name} child`));
        const all = [...scopes, ...children];
        const results = await s.waitFor(
          Promise.all(all.map((q, i) => handle(q, orders[i % orders.length]!))),
        );
        const ids = results.map((ctxs) => {
          expect(new Set(ctxs.map((x) => x.id)).size).to.equal(1);
          return ctxs[0]!.id;
        });
        expect(new Set(ids).size, "no two scopes share a ctx").to.equal(all.length);
        await s.waitFor(Promise.all(scopes.map((q) => q.close())));
        expect(c.inspect().instances).to.deep.equal([]);
        await s.waitFor(c.close());
        expect(logger.entries).to.deep.equal([]);
      }),
      propertyOptions(200),
    );
  });

  describe("a scope releases only its own references", () => {
    it("a child cannot release its parent's, nor a sibling its sibling's", async () => {
      const { c, logger } = loggedContainer();
      const disposed: string[] = [];
      c.register("S", { useFactory: () => ({ dispose: () => void disposed.push("S") }) });
      const refs = (): number[] => c.inspect().instances.map((i) => i.refCount);
      const parent = c.createScope("parent");
      const child = parent.createScope("child");
      const sibling = c.createScope("sibling");
      await parent.resolve("S");
      await child.release("S");
      await child.release("S");
      await sibling.release("S");
      expect(refs(), "still held once, by the parent").to.deep.equal([1]);
      // The child's own reference is the only one it can drop.
      await child.resolve("S");
      expect(refs()).to.deep.equal([2]);
      await child.release("S");
      await child.release("S");
      expect(refs()).to.deep.equal([1]);
      const holders = c.inspect().instances[0]!.holders;
      const parentId = c.inspect().scopes.find((x) => x.name === "parent")!.id;
      expect(holders).to.deep.equal([parentId]);
      await child.close();
      await sibling.close();
      expect(disposed).to.deep.equal([]);
      await parent.close();
      expect(disposed).to.deep.equal(["S"]);
      await c.close();
      expect(logger.entries).to.deep.equal([]);
    });

    it("closing a child drops only the child's references to a service its parent holds too", async () => {
      const c = new Container();
      let disposed = 0;
      c.register(
        "S",
        { useFactory: () => ({ dispose: () => void disposed++ }) },
        { lifetime: Lifetime.Shared },
      );
      c.register("T", { useFactory: () => ({ dispose: () => void disposed++ }) }, { dependsOn: ["S"] });
      const parent = c.createScope("parent");
      const child = parent.createScope("child");
      await parent.resolve("S");
      await child.resolve("T");
      await child.resolve("S");
      expect(c.inspect().instances.find((i) => i.token === "S")!.refCount).to.equal(3);
      await child.close();
      expect(disposed, "T only").to.equal(1);
      expect(c.inspect().instances.map((i) => [i.token, i.refCount])).to.deep.equal([["S", 1]]);
      await parent.close();
      expect(disposed).to.equal(2);
      await c.close();
    });
  });
});
