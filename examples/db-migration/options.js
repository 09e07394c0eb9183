// @ts-check
/**
 * The migration's command-line options, shared by the pipeline module and the generator.
 * @module
 */
import { parseArgs } from "node:util";
import { databaseArgument, integerArgument, tableArgument } from "../shared/arguments.js";

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
    database: databaseArgument(values.database),
    source: tableArgument("--source", values.source),
    target: tableArgument("--target", values.target),
    checkpointTable: tableArgument("--checkpoint-table", values["checkpoint-table"]),
    rows: integerArgument("--rows", values.rows, 1),
    page: integerArgument("--page", values.page, 1),
    workers: integerArgument("--workers", values.workers, 1),
    /** 0: no limit. */
    rowsPerSecond: integerArgument("--rows-per-second", values["rows-per-second"], 0),
  };
}
