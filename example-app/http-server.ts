import { serve } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ExampleApp } from "./app.js";
import type { AppLog } from "./log.js";

/** The app on a listening HTTP server. */
export interface HttpServer {
  readonly url: string;
  readonly port: number;
  /**
   * Stop accepting, let the requests in flight finish within `graceMs`, cancel the ones still running
   * after that, and close every connection.
   */
  shutdown(graceMs: number): Promise<void>;
}

/** Listen on `host:port` (port 0: any free port). */
export function listen(app: ExampleApp, log: AppLog, host: string, port: number): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.hono.fetch, hostname: host, port }) as Server;
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      const actual = (server.address() as AddressInfo).port;
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${actual}`;
      resolve({ url, port: actual, shutdown: (graceMs) => shutdown(server, app, log, graceMs) });
    });
  });
}

async function shutdown(server: Server, app: ExampleApp, log: AppLog, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  app.stopAccepting();
  server.closeIdleConnections();
  log.info(
    "http",
    `shutting down: stopped accepting requests; waiting up to ${(graceMs / 1000).toFixed(1)} s for ${app.inFlight} in-flight request(s)`,
  );
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs)));
  const late = await Promise.race([app.idle().then(() => false), graceOver]);
  clearTimeout(timer);
  if (late) {
    log.warn(
      "http",
      `${app.inFlight} request(s) still running after the grace period: cancelling their scopes`,
    );
    app.cancelInFlight();
    await app.idle();
  }
  // Responses written while shutting down carry `connection: close`, so their connections end by
  // themselves once the response is out; give them a moment, then close what is left.
  server.closeIdleConnections();
  const cut = setTimeout(() => server.closeAllConnections(), 1000);
  await closed;
  clearTimeout(cut);
  log.info("http", "all requests finished, server closed");
}
