import { inject, onInit, scopedService } from "asyncscope";
import path from "node:path";
import { CONFIG, type AppConfig } from "../config.js";
import { LOG, type AppLog } from "../log.js";
import { migrate } from "./migrations.js";
import { openPostgres } from "./pg-driver.js";
import { openPglite } from "./pglite-driver.js";
import type { Row, SqlClient, SqlDriver } from "./sql.js";

/** A transaction left open across calls (one per request): commit or roll back exactly once. */
export interface OpenTransaction extends SqlClient {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

const ROLLBACK = Symbol("rollback requested");

/**
 * The database: PGlite in `<DATA_DIR>/pglite` by default, a PostgreSQL server through `pg` when
 * `DATABASE_URL` is set. Shared: one instance for the whole app, opened (and migrated) by `@onInit` before
 * anyone receives it, closed through `Symbol.asyncDispose` once nobody holds it any more — in practice
 * last, when the container closes.
 */
@scopedService("db", { disposeTimeoutMs: 15_000 })
export class Database implements SqlClient, AsyncDisposable {
  #driver: SqlDriver | undefined;

  constructor(
    @inject(CONFIG) private readonly config: AppConfig,
    @inject(LOG) private readonly log: AppLog,
  ) {}

  @onInit()
  async open(): Promise<void> {
    const url = this.config.databaseUrl;
    const progress = url
      ? this.log.progress("db", "connecting to PostgreSQL")
      : this.log.progress(
          "db",
          "starting PGlite",
          "embedded PostgreSQL; a first start creates the database and takes several seconds",
        );
    let outcome = "failed to open the database";
    try {
      this.#driver = url
        ? await openPostgres(url)
        : await openPglite(path.join(this.config.dataDir, "pglite"));
      const applied = await migrate(this.#driver);
      outcome = `ready: ${this.#driver.description}; schema ${applied.length ? `migrated (${applied.join(", ")})` : "up to date"}`;
    } finally {
      await progress.done(outcome);
    }
  }

  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.#open().query<R>(sql, params);
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.#open().transaction(fn);
  }

  /**
   * Start a transaction that stays open until `commit()` or `rollback()`: `transaction(fn)` turned inside
   * out, for a transaction that spans a whole request. With PGlite every other query waits until it ends.
   */
  begin(): Promise<OpenTransaction> {
    return new Promise((resolve, reject) => {
      let decide!: (commit: boolean) => void;
      const decision = new Promise<boolean>((r) => (decide = r));
      let ended = false;
      const finished = this.transaction(async (tx) => {
        resolve({
          query: (sql, params) =>
            ended ? Promise.reject(new Error("the transaction has already ended")) : tx.query(sql, params),
          commit: () => {
            ended = true;
            decide(true);
            return finished;
          },
          rollback: () => {
            ended = true;
            decide(false);
            return finished.catch((err) => {
              if (err !== ROLLBACK) throw err;
            });
          },
        });
        if (!(await decision)) throw ROLLBACK;
      });
      finished.catch(reject); // rejects begin() when BEGIN itself failed; a no-op once it has resolved
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#driver) return;
    this.log.info("db", "closing the database");
    await this.#driver.close();
    this.#driver = undefined;
    this.log.info("db", "database closed");
  }

  #open(): SqlDriver {
    if (!this.#driver) throw new Error("the database is not open");
    return this.#driver;
  }
}
