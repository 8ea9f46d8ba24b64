// The example app under test: started once per test run (PGlite takes seconds and ~750 MB to start), in
// this process, on a free loopback port, with a fresh data directory; closed after the last test.
import type { Container } from "asyncscope";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createApp, createContainer, type ExampleApp } from "../../example-app/app.js";
import type { AppConfig } from "../../example-app/config.js";
import { listen, type HttpServer } from "../../example-app/http-server.js";
import { AppLog } from "../../example-app/log.js";
import { Database } from "../../example-app/services/database.js";

export interface AppFixture {
  readonly url: string;
  readonly app: ExampleApp;
  readonly container: Container;
  /** Every log line so far (set `EXAMPLE_APP_LOG=1` to see them as they come). */
  readonly lines: string[];
  /** Direct database access for assertions. */
  readonly db: Database;
  readonly server: HttpServer;
}

let started: Promise<AppFixture> | undefined;
let dataDir: string | undefined;

/** The shared app, started on first use. */
export function exampleApp(): Promise<AppFixture> {
  return (started ??= start());
}

async function start(): Promise<AppFixture> {
  dataDir = await mkdtemp(path.join(tmpdir(), "asyncscope-example-"));
  const lines: string[] = [];
  const log = new AppLog({
    write: (line) => {
      lines.push(line);
      if (process.env.EXAMPLE_APP_LOG) console.log(`    | ${line}`);
    },
  });
  const config: AppConfig = {
    dataDir,
    databaseUrl: process.env.TEST_DATABASE_URL || undefined,
    host: "127.0.0.1",
    port: 0,
    shutdownGraceMs: 2000,
  };
  const container = createContainer(config, log);
  const app = await createApp(container);
  const server = await listen(app, log, config.host, config.port);
  const db = await container.resolve(Database);
  return { url: server.url, app, container, lines, db, server };
}

after(async function () {
  this.timeout(30_000);
  if (!started) return;
  const fixture = await started.catch(() => undefined);
  if (fixture) {
    await fixture.server.shutdown(2000);
    await fixture.container.close();
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** `fetch` against the app with a JSON body, returning status and parsed body. */
export async function call(
  fixture: AppFixture,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${fixture.url}${url}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Request scopes still alive, by name. */
export function liveRequestScopes(container: Container): string[] {
  return container
    .inspect()
    .scopes.map((s) => s.name)
    .filter((n) => n.startsWith("request #"));
}

/** Poll `condition` every 10 ms until it holds; fail after `timeoutMs`. */
export async function eventually(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = performance.now();
  while (!condition()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The log lines that contain `text`, in order. */
export const linesWith = (fixture: AppFixture, text: string): string[] =>
  fixture.lines.filter((l) => l.includes(text));
