import type { CheckpointState, CheckpointStore } from "../checkpoint/checkpoint-store.js";
import { checkOptionsObject, invalid } from "../internal/validate.js";
import { type PgConnection, type Queryable, identifier, queryable } from "./connection.js";

/** Options of {@link pgCheckpoint}. */
export interface PgCheckpointOptions {
  /** Your pool or client (yours to close), a connection string, or a pg config. */
  readonly connection: PgConnection;
  /** The checkpoint's name: one row of the table, so many jobs can share it. */
  readonly name: string;
  /** The table, made when first used. Default `sluice_checkpoints`. */
  readonly table?: string;
}

/**
 * A checkpoint store in a PostgreSQL table (`name text primary key, position jsonb, done
 * jsonb, updated_at timestamptz`), made if missing. Each save is one upsert, so a killed
 * process leaves the old row or the new one.
 *
 * @example
 * const progress = checkpoint(pgCheckpoint({ connection: pool, name: "copy-orders" }), { every: 10 });
 * @throws {InvalidOptionError} when `connection`, `name` or `table` is invalid.
 */
export function pgCheckpoint<P = unknown>(options: PgCheckpointOptions): CheckpointStore<P> {
  const raw = checkOptionsObject("pgCheckpoint", options, ["connection", "name", "table"]);
  const open = queryable("pgCheckpoint.connection", raw.connection);
  if (typeof raw.name !== "string" || raw.name.length === 0) {
    throw invalid("pgCheckpoint.name", "a non-empty string naming the checkpoint", raw.name);
  }
  const name = raw.name;
  const tableName = (raw.table as string | undefined) ?? "sluice_checkpoints";
  const table = identifier("pgCheckpoint.table", tableName);
  let connection: Queryable | undefined;
  let made: Promise<void> | undefined;
  const db = async (): Promise<Queryable["db"]> => {
    connection ??= open();
    made ??= connection.db
      .query(
        `CREATE TABLE IF NOT EXISTS ${table} (name text PRIMARY KEY, position jsonb, done jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
      )
      .then(() => undefined);
    try {
      await made;
    } catch (error) {
      made = undefined;
      throw error;
    }
    return connection.db;
  };
  return Object.freeze({
    description: `the table ${tableName} (checkpoint "${name}")`,
    async load(): Promise<CheckpointState<P> | undefined> {
      const result = await (
        await db()
      ).query(`SELECT position, done FROM ${table} WHERE name = $1`, [name]);
      const row = result.rows[0] as { position: P | null; done: P[] } | undefined;
      return row === undefined
        ? undefined
        : { position: row.position ?? undefined, done: row.done };
    },
    async save(state: CheckpointState<P>): Promise<void> {
      await (
        await db()
      ).query(
        `INSERT INTO ${table} (name, position, done, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, done = EXCLUDED.done, updated_at = now()`,
        [name, JSON.stringify(state.position ?? null), JSON.stringify(state.done)],
      );
    },
    async clear(): Promise<void> {
      await (await db()).query(`DELETE FROM ${table} WHERE name = $1`, [name]);
    },
    async close(): Promise<void> {
      const open = connection;
      connection = undefined;
      made = undefined;
      await open?.release();
    },
  });
}
