// The example app's entry point: `npm start`. Ctrl-C or SIGTERM shuts it down in order.
import { runMain } from "asyncscope";
import { createApp, createContainer } from "./app.js";
import { configFromEnv } from "./config.js";
import { listen } from "./http-server.js";
import { AppLog } from "./log.js";

const config = configFromEnv();
const log = new AppLog();
const container = createContainer(config, log);

/** Resolves when `signal` aborts. */
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });

try {
  await runMain(
    async (main) => {
      const app = await createApp(container);
      const server = await listen(app, log, config.host, config.port);
      log.info(
        "http",
        `listening on ${server.url} — the live lifetime graph: ${server.url}/_lifetimes/graph`,
      );

      // On SIGINT/SIGTERM runMain cancels `main` and closes the container. Closing the container first waits
      // for the awaited tasks of its root scope, and only then cancels the scopes under it (the requests)
      // and disposes the services. So the server is stopped by a task of the root scope: the requests in
      // flight finish before anything they use is disposed, and the database goes last.
      container.root.spawn(
        async (signal) => {
          await aborted(AbortSignal.any([main.signal, signal]));
          await server.shutdown(config.shutdownGraceMs);
          log.info("app", "closing the container: scopes first, then the services, the database last");
        },
        { name: "http server" },
      );
      await aborted(main.signal);
    },
    { container, shutdownTimeoutMs: config.shutdownGraceMs + 5000 },
  );
  log.info("app", `container closed; exit code ${process.exitCode ?? 0}`);
} catch (err) {
  log.error(
    "app",
    `stopped with an error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
  );
  process.exit(process.exitCode || 1); // whatever is still running must not keep the process alive
}
