import { fileURLToPath } from "node:url";
import path from "node:path";

/** Where the example app's settings come from: the environment, with defaults for a first run. */
export interface AppConfig {
  /** Folder for the app's data; PGlite keeps its database in `<dataDir>/pglite`. */
  readonly dataDir: string;
  /** When set, the database is this PostgreSQL server (through `pg`) instead of PGlite. */
  readonly databaseUrl: string | undefined;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** How long in-flight requests may take to finish after SIGTERM/SIGINT. */
  readonly shutdownGraceMs: number;
}

/** The registration token of the app's {@link AppConfig} (a plain value). */
export const CONFIG = "config";

/** `example-app/data`, next to this file's source, wherever the compiled file runs from. */
export const defaultDataDir = fileURLToPath(new URL("../../example-app/data", import.meta.url));

/** Read the configuration from environment variables (`DATA_DIR`, `DATABASE_URL`, `PORT`, `HOST`, `SHUTDOWN_GRACE_MS`). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, not ${env.PORT}`);
  const grace = Number(env.SHUTDOWN_GRACE_MS ?? 5000);
  if (!Number.isFinite(grace) || grace < 0)
    throw new Error(`SHUTDOWN_GRACE_MS must be a number of ms, not ${env.SHUTDOWN_GRACE_MS}`);
  return {
    dataDir: path.resolve(env.DATA_DIR || defaultDataDir),
    databaseUrl: env.DATABASE_URL || undefined,
    host: env.HOST || "127.0.0.1",
    port,
    shutdownGraceMs: grace,
  };
}
