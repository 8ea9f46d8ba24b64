import {
  currentScope,
  inject,
  onInit,
  onNoMoreDependents,
  scopedService,
  sleep,
  type Scope,
} from "asyncscope";
import { LOG, type AppLog } from "../log.js";
import { ErrorHandler } from "./error-handler.js";
import { SearchIndex } from "./search-index.js";

export interface ReindexReport {
  indexed: number;
  skipped: { noteId: number; incident: number; reason: string }[];
}

/**
 * The admin module of the story: it needs the support library (the search index), which needs the
 * database. Shared, and held only while admin work runs: when the request that resolved it ends, it is
 * disposed, then the search index (unless a search still uses it) — the database stays.
 *
 * Problems found while reindexing go to the {@link ErrorHandler}, which the module resolves only then
 * (through its own scope, so the module holds it until it is disposed): the error handler is loaded on
 * the first error and shared with everyone else who reports one.
 */
@scopedService()
export class AdminModule implements AsyncDisposable {
  /** This instance's own scope: what it resolves here is held by the module and released with it. */
  readonly #scope: Scope | undefined = currentScope();
  #errors: Promise<ErrorHandler> | undefined;

  constructor(
    @inject(SearchIndex) private readonly index: SearchIndex,
    @inject(LOG) private readonly log: AppLog,
  ) {}

  @onInit()
  started(): void {
    this.log.info("lifetime", "+ AdminModule (shared) created: it holds the SearchIndex");
  }

  /** Rebuild the search index; report each note it could not take. `holdMs` keeps the admin work (and its graph) alive a while. */
  async reindex(holdMs: number, signal: AbortSignal): Promise<ReindexReport> {
    this.log.info("admin", "reindex started");
    const { indexed, problems } = await this.index.rebuild();
    const skipped: ReindexReport["skipped"] = [];
    for (const problem of problems) {
      const errors = await this.#errorHandler();
      skipped.push({
        noteId: problem.noteId,
        reason: problem.message,
        incident: await errors.record("admin.reindex", problem),
      });
    }
    if (holdMs > 0) await sleep(holdMs, signal);
    this.log.info("admin", `reindex done: ${indexed} note(s) indexed, ${skipped.length} skipped`);
    return { indexed, skipped };
  }

  #errorHandler(): Promise<ErrorHandler> {
    if (!this.#scope) throw new Error("AdminModule must be created by the container");
    this.#errors ??= this.#scope.resolve(ErrorHandler).catch((err: unknown) => {
      this.#errors = undefined;
      throw err;
    });
    return this.#errors;
  }

  @onNoMoreDependents()
  lastUserGone(): void {
    this.log.info("lifetime", "AdminModule: the admin work is over, its last user let go");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.log.info(
      "lifetime",
      `- AdminModule disposed: it releases the SearchIndex${this.#errors ? " and the ErrorHandler" : ""}`,
    );
  }
}
