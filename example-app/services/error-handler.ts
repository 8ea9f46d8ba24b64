import { inject, onInit, onNoMoreDependents, scopedService } from "asyncscope";
import { LOG, type AppLog } from "../log.js";
import { Database } from "./database.js";

/**
 * Where unexpected errors go: each becomes an incident, a row in the `errors` table, and a log line. Not
 * resolved by anyone at start: it is loaded on the first error, then shared by whoever reports one —
 * the app's error route keeps it from then on, so it outlives the admin work that may have used it too.
 */
@scopedService()
export class ErrorHandler implements AsyncDisposable {
  constructor(
    @inject(Database) private readonly db: Database,
    @inject(LOG) private readonly log: AppLog,
  ) {}

  @onInit()
  loaded(): void {
    this.log.info("lifetime", "+ ErrorHandler (shared) loaded on the first error: it holds the database");
  }

  /** Record an incident; returns its number. Never call it inside an open transaction (PGlite would wait for it). */
  async record(source: string, error: unknown, detail?: string): Promise<number> {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const [row] = await this.db.query<{ id: number }>(
      "insert into errors (source, message, detail) values ($1, $2, $3) returning id",
      [source, message, detail ?? (error instanceof Error ? (error.stack ?? null) : null)],
    );
    this.log.error("errors", `incident #${row!.id} from ${source}: ${message}`);
    return row!.id;
  }

  @onNoMoreDependents()
  lastUserGone(): void {
    this.log.info("lifetime", "ErrorHandler: its last user let go");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.log.info("lifetime", "- ErrorHandler disposed: it releases the database");
  }
}
