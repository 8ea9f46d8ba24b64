import { inject, Lifetime, scopedService } from "asyncscope";
import { LOG, type AppLog } from "../log.js";
import { Database, type OpenTransaction } from "./database.js";
import type { Row, SqlClient } from "./sql.js";

/**
 * One transaction per request, begun at the request's first query. The request middleware commits it when
 * the handler succeeded and rolls it back when it threw; if the request ends any other way (the client
 * went away, the scope was cancelled), disposing the scope rolls it back.
 */
@scopedService(undefined, { lifetime: Lifetime.Scoped })
export class RequestTransaction implements SqlClient, AsyncDisposable {
  #tx: Promise<OpenTransaction> | undefined;
  #state: "idle" | "open" | "committed" | "rolled back" = "idle";

  constructor(
    @inject(Database) private readonly db: Database,
    @inject(LOG) private readonly log: AppLog,
  ) {}

  get state(): string {
    return this.#state;
  }

  async query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    if (this.#state === "committed" || this.#state === "rolled back") {
      throw new Error(`this request's transaction is already ${this.#state}`);
    }
    this.#state = "open";
    this.#tx ??= this.db.begin();
    return (await this.#tx).query<R>(sql, params);
  }

  async commit(): Promise<void> {
    await this.#end("committed");
  }

  async rollback(): Promise<void> {
    await this.#end("rolled back");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state !== "open") return;
    this.log.warn("request", "the request ended before its transaction did: rolling back");
    await this.#end("rolled back");
  }

  async #end(outcome: "committed" | "rolled back"): Promise<void> {
    if (this.#state === "committed" || this.#state === "rolled back") return;
    this.#state = outcome;
    if (!this.#tx) return;
    if (outcome === "committed") return (await this.#tx).commit();
    const tx = await this.#tx.catch(() => undefined); // BEGIN failed: nothing to roll back
    await tx?.rollback();
  }
}
