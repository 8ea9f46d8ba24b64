import { inject, Lifetime, scopedService } from "asyncscope";
import { RequestTransaction } from "./request-transaction.js";

// A type alias (not an interface), so that it is a `Row`.
export type Note = {
  id: number;
  title: string;
  body: string;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = "id, title, body, created_at, updated_at";

/** Notes in the database, always through the request's transaction. One per request scope. */
@scopedService(undefined, { lifetime: Lifetime.Scoped })
export class NotesRepository {
  constructor(@inject(RequestTransaction) private readonly tx: RequestTransaction) {}

  list(ids?: readonly number[]): Promise<Note[]> {
    return ids
      ? this.tx.query<Note>(`select ${COLUMNS} from notes where id = any($1) order by id`, [ids])
      : this.tx.query<Note>(`select ${COLUMNS} from notes order by id`);
  }

  async get(id: number): Promise<Note | undefined> {
    const [note] = await this.tx.query<Note>(`select ${COLUMNS} from notes where id = $1`, [id]);
    return note;
  }

  async create(title: string, body: string): Promise<Note> {
    const [note] = await this.tx.query<Note>(
      `insert into notes (title, body) values ($1, $2) returning ${COLUMNS}`,
      [title, body],
    );
    return note!;
  }

  async update(id: number, title: string, body: string): Promise<Note | undefined> {
    const [note] = await this.tx.query<Note>(
      `update notes set title = $2, body = $3, updated_at = now() where id = $1 returning ${COLUMNS}`,
      [id, title, body],
    );
    return note;
  }

  async remove(id: number): Promise<boolean> {
    return (await this.tx.query("delete from notes where id = $1 returning id", [id])).length > 0;
  }

  async count(): Promise<number> {
    const [row] = await this.tx.query<{ n: number }>("select count(*)::int as n from notes");
    return row!.n;
  }
}
