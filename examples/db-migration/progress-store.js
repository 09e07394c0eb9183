// @ts-check
/**
 * Where the migration keeps its progress: one row of the checkpoint table, named for the
 * source and target, so the pipeline and the generator (which clears it) agree.
 * @module
 */
import { pgCheckpoint } from "sluice/pg";

/**
 * @param {import("sluice/pg").PgConnection} connection
 * @param {{ source: string, target: string, checkpointTable: string }} options
 */
export function progressStore(connection, options) {
  return pgCheckpoint({
    connection,
    name: `migrate:${options.source}->${options.target}`,
    table: options.checkpointTable,
  });
}
