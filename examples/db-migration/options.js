// @ts-check
/**
 * The migration's command-line options, shared by the pipeline module and the generator.
 * @module
 */
import { parseArgs } from "node:util";

/** The machine's PostgreSQL, unless `--database` or `DATABASE_URL` says otherwise. */
const DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/test";

/**
 * @param {readonly string[]} args
 */
export function migrationOptions(args) {
  const { values } = parseArgs({
    args: [...args],
    options: {
      database: { type: "string" },
      source: { type: "string", default: "migration_source" },
      target: { type: "string", default: "migration_target" },
      "checkpoint-table": { type: "string", default: "sluice_checkpoints" },
      rows: { type: "string", default: "1000000" },
      page: { type: "string", default: "1000" },
      workers: { type: "string", default: "8" },
      "rows-per-second": { type: "string", default: "0" },
    },
  });
  return {
    database: values.database ?? process.env["DATABASE_URL"] ?? DEFAULT_DATABASE,
    source: identifier("--source", values.source),
    target: identifier("--target", values.target),
    checkpointTable: identifier("--checkpoint-table", values["checkpoint-table"]),
    rows: count("--rows", values.rows, 1),
    page: count("--page", values.page, 1),
    workers: count("--workers", values.workers, 1),
    /** 0: no limit. */
    rowsPerSecond: count("--rows-per-second", values["rows-per-second"], 0),
  };
}

/**
 * @param {string} option
 * @param {string} value
 * @param {number} min
 */
function count(option, value, min) {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new TypeError(
      `Expected ${option} to be an integer >= ${min}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/**
 * A table name this example will put in SQL: letters, digits and underscores only.
 * @param {string} option
 * @param {string} value
 */
function identifier(option, value) {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw new TypeError(
      `Expected ${option} to be a table name (letters, digits, _), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
