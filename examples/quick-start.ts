import { Container, inject, injectable, Lifetime, onNoMoreDependents, scopedService } from "asyncscope";

// One shared database for every request, disposed when the last request that uses it is done.
@scopedService("db")
class Database implements AsyncDisposable {
  async query(sql: string): Promise<string> {
    return `rows for ${sql}`;
  }
  @onNoMoreDependents()
  async drain(): Promise<void> {
    console.log("db: no more dependents, draining");
  }
  async [Symbol.asyncDispose](): Promise<void> {
    console.log("db: closed");
  }
}

// One repository per request scope.
@scopedService(undefined, { lifetime: Lifetime.Scoped })
class NotesRepo {
  constructor(@inject("db") private readonly db: Database) {}
  list(): Promise<string> {
    return this.db.query("select * from notes");
  }
  [Symbol.dispose](): void {
    console.log("repo: disposed with its request");
  }
}

@injectable()
class ListNotes {
  constructor(private readonly repo: NotesRepo) {}
  handle(): Promise<string> {
    return this.repo.list();
  }
}

const container = new Container();

async function handleRequest(id: number): Promise<void> {
  await using scope = container.createScope(`request ${id}`);
  const handler = await scope.resolve(ListNotes);
  console.log(`request ${id}: ${await handler.handle()}`);
}

// Two concurrent requests share one Database; it is disposed after the second one ends.
await Promise.all([handleRequest(1), handleRequest(2)]);
await container.close();
