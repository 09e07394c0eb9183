import type { SourceContext } from "../contract/types.js";
import type { Positioned, Seekable } from "../checkpoint/seekable.js";
import { kSeekable } from "../checkpoint/seekable.js";
import { checkOptionsObject, integerOption, invalid } from "../internal/validate.js";
import { type PgConnection, type Queryable, identifier, queryable } from "./connection.js";

/** Options of {@link pgKeyset}. */
export interface PgKeysetOptions {
  /** Your pool or client (yours to close), a connection string, or a pg config. */
  readonly connection: PgConnection;
  /** The table (or view) to read, `"schema.table"` allowed. */
  readonly table: string;
  /** The column the pages are ordered and resumed by: unique, indexed (a primary key). */
  readonly key: string;
  /** Columns to select. Default all (`*`). */
  readonly columns?: readonly string[];
  /** Rows per page. Default 1,000. */
  readonly page?: number;
}

/**
 * A table read in pages by keyset pagination (`WHERE key > $last ORDER BY key LIMIT page`),
 * never by `OFFSET`: each page costs one index range scan however deep into the table it is.
 * Each item is one page (an array of rows); its position is its last row's key, so a
 * checkpointed run resumes after the last page it completed and skips pages completed past
 * it. `flatMap((rows) => rows)` turns pages into rows.
 *
 * @example
 * from(pgKeyset({ connection: pool, table: "orders", key: "id", page: 1000 }), {
 *   checkpoint: checkpoint(pgCheckpoint({ connection: pool, name: "copy-orders" })),
 * }).map(copyPage, { concurrency: 8 })
 * @throws {InvalidOptionError} when an option is invalid.
 */
export function pgKeyset<Row = Record<string, unknown>>(
  options: PgKeysetOptions,
): Seekable<Row[], unknown> {
  const raw = checkOptionsObject("pgKeyset", options, [
    "connection",
    "table",
    "key",
    "columns",
    "page",
  ]);
  const open = queryable("pgKeyset.connection", raw.connection);
  const table = identifier("pgKeyset.table", raw.table);
  const keyName = raw.key;
  const key = identifier("pgKeyset.key", keyName);
  let columns = "*";
  if (raw.columns !== undefined) {
    if (!Array.isArray(raw.columns) || raw.columns.length === 0) {
      throw invalid("pgKeyset.columns", "a non-empty array of column names", raw.columns);
    }
    const names = raw.columns.map((column, i) => identifier(`pgKeyset.columns[${i}]`, column));
    if (!(raw.columns as unknown[]).includes(keyName)) names.push(key);
    columns = names.join(", ");
  }
  const page = integerOption("pgKeyset.page", raw.page, 1_000, 1);
  const first = `SELECT ${columns} FROM ${table} ORDER BY ${key} LIMIT ${page}`;
  const after = `SELECT ${columns} FROM ${table} WHERE ${key} > $1 ORDER BY ${key} LIMIT ${page}`;
  let connection: Queryable | undefined;
  return Object.freeze({
    [kSeekable]: true as const,
    read(last: unknown, context: SourceContext): AsyncIterable<Positioned<Row[], unknown>> {
      connection ??= open();
      return readPages<Row>(connection.db, first, after, last, keyName as string, page, context);
    },
    async close(): Promise<void> {
      const open = connection;
      connection = undefined;
      await open?.release();
    },
  });
}

async function* readPages<Row>(
  db: Queryable["db"],
  first: string,
  after: string,
  last: unknown,
  key: string,
  page: number,
  { signal }: SourceContext,
): AsyncGenerator<Positioned<Row[], unknown>> {
  let position = last;
  for (;;) {
    signal.throwIfAborted();
    const result =
      position === undefined ? await db.query(first) : await db.query(after, [position]);
    const rows = result.rows as Row[];
    if (rows.length === 0) return;
    position = (rows[rows.length - 1] as Record<string, unknown>)[key];
    yield { value: rows, position };
    if (rows.length < page) return;
  }
}
