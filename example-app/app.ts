import { CancelledError, Container, ScopeClosedError, type Scope } from "asyncscope";
import { Hono, type Context } from "hono";
import { CONFIG, type AppConfig } from "./config.js";
import { describeLive, lifetimeRoutes } from "./graph-page.js";
import { HttpError } from "./http-error.js";
import { LOG, type AppLog } from "./log.js";
import { AdminModule } from "./services/admin-module.js";
import { Database } from "./services/database.js";
import { ErrorHandler } from "./services/error-handler.js";
import { NotesHandler } from "./services/notes-handler.js";
import { RequestTransaction } from "./services/request-transaction.js";
import { SearchHandler } from "./services/search-handler.js";

/** What every request handler can read from Hono's context: the request's own scope. */
export type AppEnv = { Variables: { scope: Scope } };

/** The example app, built around a container; `hono.fetch` is what the HTTP server calls. */
export interface ExampleApp {
  readonly hono: Hono<AppEnv>;
  readonly container: Container;
  /** Requests being handled right now. */
  readonly inFlight: number;
  /** Resolves once no request is in flight. */
  idle(): Promise<void>;
  /** From now on, answer new requests with 503 (the server is shutting down). */
  stopAccepting(): void;
  /** Cancel the scopes of the requests still running (after the shutdown grace period). */
  cancelInFlight(): void;
}

/** A container with the app's configuration and log registered as values; services come from their decorators. */
export function createContainer(config: AppConfig, log: AppLog): Container {
  const container = new Container({ name: "example-app", logger: log.asLogger() });
  container.register(CONFIG, { useValue: config });
  container.register(LOG, { useValue: log });
  return container;
}

/**
 * Open the database and build the HTTP app. The database is resolved in the container's root scope, so
 * the root holds it until the container closes: it is disposed last, after every request and service.
 */
export async function createApp(container: Container): Promise<ExampleApp> {
  const log = await container.resolve<AppLog>(LOG);
  await container.resolve(Database);
  // The app's own scope: what the app keeps for itself (the error handler, once loaded) is held here.
  const appScope = container.createScope("app");
  const running = new Set<Scope>();
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  let accepting = true;
  let seq = 0;
  let errorHandler: Promise<ErrorHandler> | undefined;

  /** Loaded on the first error, then kept by the app's scope (so it stays when other users let go). */
  const errors = (): Promise<ErrorHandler> =>
    (errorHandler ??= appScope.resolve(ErrorHandler).catch((err: unknown) => {
      errorHandler = undefined;
      throw err;
    }));

  const hono = new Hono<AppEnv>();
  hono.route("/_lifetimes", lifetimeRoutes(container));

  // One scope per request: every service the request resolves is disposed when the response is done,
  // whether the handler returned, threw, or the client went away.
  hono.use("*", async (c, next) => {
    if (c.req.path.startsWith("/_lifetimes")) return next();
    if (!accepting) return c.json({ error: "shutting down" }, 503, { connection: "close" });
    const id = ++seq;
    const label = `request #${id} ${c.req.method} ${c.req.path}`;
    const t0 = performance.now();
    inFlight++;
    try {
      await using scope = container.createScope(label);
      running.add(scope);
      const signal = c.req.raw.signal;
      const onAbort = (): void => {
        log.warn("request", `#${id} the client went away: cancelling its scope`);
        scope.cancel();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      c.set("scope", scope);
      try {
        await next();
        await finish(c, scope, label);
      } finally {
        signal.removeEventListener("abort", onAbort);
        running.delete(scope);
      }
    } catch (err) {
      if (!(err instanceof ScopeClosedError)) {
        log.error("request", `${label}: ${String(err)}`);
        throw err;
      }
      c.res = c.json({ error: "shutting down" }, 503); // the container closed under this request
    } finally {
      if (!accepting) c.header("connection", "close");
      inFlight--;
      log.info(
        "request",
        `#${id} ${c.req.method} ${c.req.path} → ${c.res.status} (${Math.round(performance.now() - t0)} ms)`,
      );
      if (c.req.path.startsWith("/admin/")) {
        log.info("lifetime", `after the admin work, still alive: ${describeLive(container.inspect())}`);
      }
      if (inFlight === 0) {
        for (const wake of idleWaiters) wake();
        idleWaiters = [];
      }
    }
  });

  /**
   * Commit when the handler succeeded. Otherwise roll back first — with PGlite, the error handler's own
   * write would wait for the open transaction — then answer, and report what was not expected.
   */
  async function finish(c: Context<AppEnv>, scope: Scope, label: string): Promise<void> {
    // A cancelled scope is closing already, and its disposal rolls the transaction back.
    const cancelled = scope.state !== "open";
    const tx = cancelled ? undefined : scope.lookup(RequestTransaction);
    let error: unknown = cancelled ? new CancelledError() : c.error;
    if (error === undefined) {
      try {
        await tx?.commit();
        return;
      } catch (err) {
        error = err;
      }
    }
    await tx
      ?.rollback()
      .catch((err: unknown) => log.error("request", `${label}: rollback failed: ${String(err)}`));
    if (error instanceof HttpError) {
      c.res = c.json({ error: error.message }, error.status);
    } else if (error instanceof CancelledError) {
      c.res = c.json({ error: "request cancelled" }, 503);
    } else {
      const incident = await (await errors()).record(label, error);
      c.res = c.json({ error: "internal error", incident }, 500);
    }
  }

  // The error response is built by the middleware above, after the rollback; this only marks the failure.
  hono.onError((_err, c) => c.json({ error: "internal error" }, 500));

  const scopeOf = (c: Context<AppEnv>): Scope => c.get("scope");
  const notes = (c: Context<AppEnv>): Promise<NotesHandler> => scopeOf(c).resolve(NotesHandler);
  const noteId = (c: Context<AppEnv>): number => {
    const id = Number(c.req.param("id"));
    if (!Number.isSafeInteger(id) || id < 1) throw new HttpError(400, "a note id is a positive integer");
    return id;
  };
  const body = async (c: Context<AppEnv>): Promise<unknown> => {
    try {
      return await c.req.json();
    } catch {
      throw new HttpError(400, "the request body must be JSON");
    }
  };
  const intParam = (c: Context<AppEnv>, name: string, max: number): number | undefined => {
    const raw = c.req.query(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new HttpError(400, `${name} must be an integer from 0 to ${max}`);
    return n;
  };

  hono.get("/", (c) =>
    c.json({
      app: "asyncscope example: notes",
      lifetimes: "/_lifetimes/graph",
      endpoints: [
        "GET /notes",
        "POST /notes {title, body}",
        "GET /notes/:id",
        "PUT /notes/:id {title, body}",
        "DELETE /notes/:id",
        "POST /notes/import [{title, body}, …] (?crashAfter=N simulates a crash)",
        "GET /search?q=words",
        "GET /slow?ms=2000",
        "POST /admin/reindex (?holdMs=N keeps the admin work alive)",
        "GET /_lifetimes (JSON), /_lifetimes/graph (live picture), /_lifetimes/graph.mmd, /_lifetimes/graph.dot",
      ],
    }),
  );
  hono.get("/notes", async (c) => c.json(await (await notes(c)).list()));
  hono.post("/notes", async (c) => c.json(await (await notes(c)).create(await body(c)), 201));
  hono.get("/notes/:id", async (c) => c.json(await (await notes(c)).get(noteId(c))));
  hono.put("/notes/:id", async (c) => c.json(await (await notes(c)).update(noteId(c), await body(c))));
  hono.delete("/notes/:id", async (c) => {
    await (await notes(c)).remove(noteId(c));
    return c.body(null, 204);
  });
  hono.post("/notes/import", async (c) =>
    c.json(await (await notes(c)).import(await body(c), intParam(c, "crashAfter", 1000)), 201),
  );
  hono.get("/search", async (c) =>
    c.json(await (await scopeOf(c).resolve(SearchHandler)).search(c.req.query("q") ?? "")),
  );
  hono.get("/slow", async (c) => {
    const ms = intParam(c, "ms", 60_000) ?? 2000;
    return c.json(await (await notes(c)).slow(ms, scopeOf(c).signal));
  });
  hono.post("/admin/reindex", async (c) => {
    const admin = await scopeOf(c).resolve(AdminModule);
    return c.json(await admin.reindex(intParam(c, "holdMs", 60_000) ?? 0, scopeOf(c).signal));
  });

  return {
    hono,
    container,
    get inFlight() {
      return inFlight;
    },
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    stopAccepting: () => void (accepting = false),
    cancelInFlight: () => {
      for (const scope of running) scope.cancel();
    },
  };
}
