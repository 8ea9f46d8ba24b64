import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import type { Row, SqlClient, SqlDriver } from "./sql.js";

/**
 * Embedded PostgreSQL (PGlite, WebAssembly) keeping its data in `dataDir`, so a restart keeps the data.
 * One connection: PGlite runs one transaction at a time and makes every other query wait for it.
 */
export async function openPglite(dataDir: string): Promise<SqlDriver> {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir });
  const client = (q: Pick<PGlite, "query">): SqlClient => ({
    query: async <R extends Row>(sql: string, params?: readonly unknown[]) =>
      (await q.query<R>(sql, params as unknown[] | undefined)).rows,
  });
  return {
    description: `PGlite (embedded PostgreSQL) in ${dataDir}`,
    ...client(db),
    transaction: (fn) => db.transaction((tx) => fn(client(tx))),
    close: () => db.close(),
  };
}
