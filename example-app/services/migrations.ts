import type { SqlDriver } from "./sql.js";

/**
 * The schema, as numbered steps. A step runs once: `schema_migrations` records what has run, and the
 * whole check runs under an advisory lock, so two processes starting at once do not both apply a step.
 * Add a step at the end; never edit one that has shipped.
 */
const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "notes",
    sql: `
      create table notes (
        id serial primary key,
        title text not null check (length(title) between 1 and 200),
        body text not null default '',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`,
  },
  {
    version: 2,
    name: "search index",
    sql: `
      create table note_words (
        word text not null,
        note_id integer not null references notes (id) on delete cascade,
        primary key (word, note_id)
      )`,
  },
  {
    version: 3,
    name: "errors",
    sql: `
      create table errors (
        id serial primary key,
        at timestamptz not null default now(),
        source text not null,
        message text not null,
        detail text
      )`,
  },
];

/** Bring the schema up to date; returns the names of the steps it applied (none when it is current). */
export async function migrate(db: SqlDriver): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(727274)");
    await tx.query(`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`);
    const done = new Set(
      (await tx.query<{ version: number }>("select version from schema_migrations")).map((r) => r.version),
    );
    const applied: string[] = [];
    for (const step of MIGRATIONS) {
      if (done.has(step.version)) continue;
      await tx.query(step.sql);
      await tx.query("insert into schema_migrations (version, name) values ($1, $2)", [
        step.version,
        step.name,
      ]);
      applied.push(`${step.version} ${step.name}`);
    }
    return applied;
  });
}
