import pg from "pg";
import type { Row, SqlClient, SqlDriver } from "./sql.js";

/** A real PostgreSQL server through a `pg` connection pool; each transaction has a connection of its own. */
export async function openPostgres(url: string): Promise<SqlDriver> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that loses its connection emits here; without a listener it would crash the process.
  pool.on("error", () => undefined);
  await pool.query("select 1"); // fail at start, not at the first request, when the server is unreachable
  const client = (q: pg.Pool | pg.PoolClient): SqlClient => ({
    query: async <R extends Row>(sql: string, params?: readonly unknown[]) =>
      (await q.query<R>(sql, params as unknown[] | undefined)).rows,
  });
  return {
    description: `PostgreSQL at ${redact(url)}`,
    ...client(pool),
    async transaction(fn) {
      const conn = await pool.connect();
      let broken: Error | undefined;
      try {
        await conn.query("begin");
        const result = await fn(client(conn));
        await conn.query("commit");
        return result;
      } catch (err) {
        try {
          await conn.query("rollback");
        } catch (rollbackError) {
          broken = rollbackError as Error; // the connection is unusable: destroy it rather than reuse it
        }
        throw err;
      } finally {
        conn.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}
