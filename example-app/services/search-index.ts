import { inject, onInit, onNoMoreDependents, scopedService } from "asyncscope";
import { LOG, type AppLog } from "../log.js";
import { Database } from "./database.js";
import type { SqlClient } from "./sql.js";

/** The longest word the index takes; a note with a longer one cannot be indexed. */
export const MAX_WORD_LENGTH = 64;

/** A note the index cannot take, with the reason. */
export class UnindexableNoteError extends Error {
  override name = "UnindexableNoteError";
  constructor(
    readonly noteId: number,
    reason: string,
  ) {
    super(`note ${noteId} cannot be indexed: ${reason}`);
  }
}

/**
 * The support library of the story: a small full-text index over the notes (the `note_words` table).
 * Shared: the admin module and the search requests use one instance while any of them holds it; it is
 * disposed when the last one lets go, and it releases the database then.
 */
@scopedService()
export class SearchIndex implements AsyncDisposable {
  constructor(
    @inject(Database) private readonly db: Database,
    @inject(LOG) private readonly log: AppLog,
  ) {}

  @onInit()
  started(): void {
    this.log.info("lifetime", "+ SearchIndex (support library, shared) created: it holds the database");
  }

  /** The lower-case words of a text. */
  static words(text: string): string[] {
    return [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  }

  /**
   * Rebuild the whole index in one transaction. Notes that cannot be indexed are left out and returned,
   * so that the caller decides what to do about them.
   */
  async rebuild(): Promise<{ indexed: number; problems: UnindexableNoteError[] }> {
    return this.db.transaction(async (tx) => {
      const notes = await tx.query<{ id: number; title: string; body: string }>(
        "select id, title, body from notes order by id",
      );
      await tx.query("delete from note_words");
      const problems: UnindexableNoteError[] = [];
      let indexed = 0;
      for (const note of notes) {
        const words = SearchIndex.words(`${note.title} ${note.body}`);
        const long = words.find((w) => w.length > MAX_WORD_LENGTH);
        if (long) {
          problems.push(
            new UnindexableNoteError(
              note.id,
              `a word of ${long.length} characters (the index takes up to ${MAX_WORD_LENGTH})`,
            ),
          );
          continue;
        }
        await insertWords(tx, note.id, words);
        indexed++;
      }
      return { indexed, problems };
    });
  }

  /** Ids of the notes that contain every word of `query`, as of the last rebuild. */
  async search(query: string): Promise<number[]> {
    const words = SearchIndex.words(query);
    if (words.length === 0) return [];
    const rows = await this.db.query<{ note_id: number }>(
      `select note_id from note_words where word = any($1)
       group by note_id having count(*) = $2 order by note_id`,
      [words, words.length],
    );
    return rows.map((r) => r.note_id);
  }

  @onNoMoreDependents()
  lastUserGone(): void {
    this.log.info("lifetime", "SearchIndex: its last user let go");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.log.info("lifetime", "- SearchIndex disposed: it releases the database");
  }
}

async function insertWords(tx: SqlClient, noteId: number, words: string[]): Promise<void> {
  if (words.length === 0) return;
  await tx.query("insert into note_words (word, note_id) select unnest($1::text[]), $2", [words, noteId]);
}
