import pg from "pg";
import { invalid } from "../internal/validate.js";

/** What a sluice/pg part connects with: your pool or client, a connection string, or a config. */
export type PgConnection = pg.Pool | pg.Client | pg.PoolClient | string | pg.PoolConfig;

/** A queryable connection, and whether it is sluice's own (closed by `release`). */
export interface Queryable {
  readonly db: Pick<pg.Pool, "query">;
  release(): Promise<void>;
}

/**
 * The connection to use: the caller's pool or client as it is (theirs to close), or a pool
 * of sluice's own, made when first needed and ended by `release()`.
 */
export function queryable(path: string, connection: unknown): () => Queryable {
  if (
    typeof connection === "object" &&
    connection !== null &&
    typeof (connection as pg.Pool).query === "function"
  ) {
    const db = connection as pg.Pool;
    return () => ({ db, release: async () => {} });
  }
  let config: pg.PoolConfig;
  if (typeof connection === "string" && connection.length > 0) {
    config = { connectionString: connection };
  } else if (typeof connection === "object" && connection !== null && !Array.isArray(connection)) {
    config = connection as pg.PoolConfig;
  } else {
    throw invalid(
      path,
      'a pg Pool or Client, a connection string ("postgres://user@host/db") or a pg config object',
      connection,
    );
  }
  return () => {
    const pool = new pg.Pool({ max: 2, ...config });
    return { db: pool, release: () => pool.end() };
  };
}

/** `name` quoted as one SQL identifier; `schema.table` as two. */
export function identifier(path: string, name: unknown): string {
  if (typeof name !== "string" || name.length === 0) {
    throw invalid(
      path,
      'a table or column name (a non-empty string, "schema.table" allowed)',
      name,
    );
  }
  return name
    .split(".")
    .map((part) => pg.escapeIdentifier(part))
    .join(".");
}
