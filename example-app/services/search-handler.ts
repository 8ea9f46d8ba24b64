import { inject, Lifetime, scopedService } from "asyncscope";
import type { Note } from "./notes-repository.js";
import { NotesRepository } from "./notes-repository.js";
import { SearchIndex } from "./search-index.js";

/** `GET /search`: one per request; uses the shared search index, so a search keeps it alive while it runs. */
@scopedService(undefined, { lifetime: Lifetime.Scoped })
export class SearchHandler {
  constructor(
    @inject(SearchIndex) private readonly index: SearchIndex,
    @inject(NotesRepository) private readonly notes: NotesRepository,
  ) {}

  async search(query: string): Promise<Note[]> {
    const ids = await this.index.search(query);
    return ids.length ? this.notes.list(ids) : [];
  }
}
