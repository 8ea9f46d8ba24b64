import { inject, Lifetime, scopedService, sleep } from "asyncscope";
import { HttpError } from "../http-error.js";
import { NotesRepository, type Note } from "./notes-repository.js";

export interface NoteInput {
  title: string;
  body: string;
}

/** The notes API, one instance per request: validates input, talks to the repository, says what went wrong. */
@scopedService(undefined, { lifetime: Lifetime.Scoped })
export class NotesHandler {
  constructor(@inject(NotesRepository) private readonly notes: NotesRepository) {}

  list(): Promise<Note[]> {
    return this.notes.list();
  }

  async get(id: number): Promise<Note> {
    return (await this.notes.get(id)) ?? notFound(id);
  }

  create(input: unknown): Promise<Note> {
    const { title, body } = parseNote(input);
    return this.notes.create(title, body);
  }

  async update(id: number, input: unknown): Promise<Note> {
    const { title, body } = parseNote(input);
    return (await this.notes.update(id, title, body)) ?? notFound(id);
  }

  async remove(id: number): Promise<void> {
    if (!(await this.notes.remove(id))) notFound(id);
  }

  /**
   * All or nothing: every note is inserted in the request's transaction as it comes, so an invalid item —
   * or a crash, simulated after `crashAfter` inserts — rolls back the ones before it.
   */
  async import(items: unknown, crashAfter?: number): Promise<Note[]> {
    if (!Array.isArray(items)) throw new HttpError(400, "expected a JSON array of notes");
    const created: Note[] = [];
    for (const [i, item] of items.entries()) {
      if (created.length === crashAfter) {
        throw new Error(`simulated crash in the import handler after ${crashAfter} insert(s)`);
      }
      let note: NoteInput;
      try {
        note = parseNote(item);
      } catch (err) {
        throw new HttpError(422, `item ${i}: ${(err as Error).message}; nothing was imported`);
      }
      created.push(await this.notes.create(note.title, note.body));
    }
    return created;
  }

  /** A slow request: it holds its scope (and through it the database) for `ms`, then counts the notes. */
  async slow(ms: number, signal: AbortSignal): Promise<{ waitedMs: number; notes: number }> {
    await sleep(ms, signal);
    return { waitedMs: ms, notes: await this.notes.count() };
  }
}

function notFound(id: number): never {
  throw new HttpError(404, `note ${id} not found`);
}

/** Check a note from a request body: a title of 1–200 characters and an optional text body. */
export function parseNote(input: unknown): NoteInput {
  if (typeof input !== "object" || input === null) throw new HttpError(400, "expected a JSON object");
  const { title, body = "" } = input as Record<string, unknown>;
  if (typeof title !== "string" || title.trim() === "")
    throw new HttpError(400, "title must be a non-empty string");
  if (title.length > 200) throw new HttpError(400, "title must be at most 200 characters");
  if (typeof body !== "string") throw new HttpError(400, "body must be a string");
  return { title: title.trim(), body };
}
