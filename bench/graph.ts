// The object graph every adapter builds, and the semantic check that proves it did:
//   Config (singleton) <- Db (singleton, async dispose) <- Repo (scoped, async dispose)
//     <- Service (scoped) <- Handler (transient)
// Each adapter declares its own five classes with its library's decorators; their disposers call
// `recordDisposal`, which logs only while the check runs.
import { isDeepStrictEqual } from "node:util";
import type { Adapter } from "./adapter.js";
import { chainLength, type ChainSpec } from "./generated.js";

/** The value `Config` carries in every adapter. */
export const CONFIG_URL = "postgres://bench/db";

let events: string[] | undefined;

/** What the disposers of `Db` and `Repo` call. It settles after a turn, like real async cleanup. */
export async function recordDisposal(name: "Db" | "Repo"): Promise<void> {
  if (events === undefined) return;
  const log = events;
  await null;
  log.push(name);
}

/** The shape every adapter's `Handler` has. */
interface HandlerShape {
  readonly service: { readonly repo: { readonly db: { readonly config: object } } };
}

export type CheckStatus = "ok" | "fail" | "n/a";

export interface Check {
  readonly adapter: string;
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Builds the graph through `adapter` and checks the wiring, the lifetimes and the disposal order.
 * Leaves the adapter torn down.
 */
export async function checkAdapter(adapter: Adapter, chain: ChainSpec): Promise<Check[]> {
  const checks: Check[] = [];
  const report = (name: string, status: CheckStatus, detail = ""): void => {
    checks.push({ adapter: adapter.name, name, status, detail });
  };
  const expect = (name: string, ok: boolean, detail = ""): void =>
    report(name, ok ? "ok" : "fail", ok ? "" : detail);
  const { Config, Db, Repo, Service, Handler } = adapter.classes;
  const { awaitsScopeDisposal, closesOpenScopes } = adapter.disposal;
  events = [];
  const log = events;
  try {
    await adapter.setup();
    const s1 = adapter.createScope();
    const h1 = (await adapter.resolveHandler(s1)) as HandlerShape;
    const h1b = (await adapter.resolveHandler(s1)) as HandlerShape;
    const s2 = adapter.createScope();
    const h2 = (await adapter.resolveHandler(s2)) as HandlerShape;

    expect(
      "Handler -> Service -> Repo -> Db -> Config",
      h1 instanceof Handler &&
        h1.service instanceof Service &&
        h1.service.repo instanceof Repo &&
        h1.service.repo.db instanceof Db &&
        h1.service.repo.db.config instanceof Config &&
        (h1.service.repo.db.config as { url?: unknown }).url === CONFIG_URL,
      "the resolved Handler is not wired to this adapter's classes",
    );
    const db = h1.service.repo.db;
    expect(
      "one Db and one Config across scopes",
      (await adapter.resolveSingleton()) === db &&
        h2.service.repo.db === db &&
        h2.service.repo.db.config === db.config,
      "scopes see different singletons",
    );
    expect(
      "one Service and Repo per scope",
      h1.service === h1b.service && h1.service.repo === h1b.service.repo,
      "two resolves in one scope built two scoped instances",
    );
    expect(
      "a fresh Service and Repo in another scope",
      h1.service !== h2.service && h1.service.repo !== h2.service.repo,
      "two scopes share a scoped instance",
    );
    expect("a fresh Handler per resolve", h1 !== h1b, "two resolves returned the same transient");

    await adapter.disposeScope(s1);
    if (awaitsScopeDisposal) {
      expect(
        "scope disposal awaits Repo's async disposer",
        isDeepStrictEqual(log, ["Repo"]),
        `log ${str(log)}`,
      );
    } else {
      report("scope disposal awaits Repo's async disposer", "n/a", "the library does not await disposers");
      await drain();
    }
    expect(
      "scope disposal disposes its Repo and not Db",
      isDeepStrictEqual(log, ["Repo"]),
      `log ${str(log)}`,
    );
    await adapter.disposeScope(s2);
    await drain();

    // Container end with a scope still open: the library closes it first where it can; elsewhere the
    // caller does, as that library's users must.
    const s3 = adapter.createScope();
    await adapter.resolveHandler(s3);
    const end = log.length;
    if (!closesOpenScopes) await adapter.disposeScope(s3);
    await adapter.teardown();
    await drain();
    const ended = log.slice(end);
    if (closesOpenScopes) {
      expect("container end closes a scope still open", ended.includes("Repo"), `log ${str(ended)}`);
    } else {
      report("container end closes a scope still open", "n/a", "the caller disposes open scopes first");
    }
    expect("container end: Repo before Db", isDeepStrictEqual(ended, ["Repo", "Db"]), `log ${str(ended)}`);

    const cold = await adapter.coldStart(chain);
    const depth = chainLength(cold.root);
    await cold.close();
    expect(`cold start resolves a ${chain.length}-deep chain`, depth === chain.length, `depth ${depth}`);
  } catch (error) {
    report(
      "builds the graph",
      "fail",
      error instanceof Error ? error.message.split("\n")[0]! : String(error),
    );
    await adapter.teardown().catch(() => undefined);
  } finally {
    events = undefined;
  }
  return checks;
}

function str(log: readonly string[]): string {
  return `[${log.join(", ")}]`;
}
