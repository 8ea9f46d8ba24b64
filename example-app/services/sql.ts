/** A row as the drivers return it: column name to value. */
export type Row = Record<string, unknown>;

/** What runs SQL: the database itself, or one transaction. Parameters are `$1`, `$2`, … */
export interface SqlClient {
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/**
 * The one small interface both drivers (PGlite and `pg`) implement. `transaction(fn)` commits when `fn`
 * resolves and rolls back when it rejects, then settles as `fn` did.
 */
export interface SqlDriver extends SqlClient {
  /** Shown in the log: which database this is. */
  readonly description: string;
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
