// @ts-check
/**
 * The DB migration case study: copy a table of a million rows into a new shape, resumably.
 *
 *   keyset pages of 1,000 rows  →  8 workers transform  →  INSERT … ON CONFLICT DO NOTHING
 *   (a checkpoint row records the pages done; a token bucket caps rows/s)
 *
 * Kill it at any point (SIGKILL) and run it again: it reads on after the last page every
 * page before was done, skips the pages done past that, and the target ends with each row
 * exactly once. `node examples/db-migration/generate.js`, then
 * `sluice run examples/db-migration -- --rows-per-second 200000`.
 * @module
 */
import pg from "pg";
import { checkpoint, from } from "sluice";
import { pgKeyset } from "sluice/pg";
import { migrationOptions } from "./options.js";
import { progressStore } from "./progress-store.js";
import { createTarget, insertPage } from "./target.js";
import { transformRow } from "./transform.js";

/** @param {string[]} args the arguments after `--` */
export default async function migration(args) {
  const options = migrationOptions(args);
  // One pool for reads, writes and the checkpoint; idle, it lets the process exit.
  const pool = new pg.Pool({
    connectionString: options.database,
    max: options.workers + 2,
    allowExitOnIdle: true,
  });
  await createTarget(pool, options.target);
  const progress = checkpoint(progressStore(pool, options), { every: 1 });
  /** @type {import("sluice").Pipeline<import("./transform.js").SourceRow[]>} */
  const pages = from(
    pgKeyset({ connection: pool, table: options.source, key: "id", page: options.page }),
    { checkpoint: progress },
  );
  return pages
    .map((rows) => rows.map(transformRow), { concurrency: options.workers, name: "transform" })
    .forEach((rows) => insertPage(pool, options.target, rows), {
      concurrency: options.workers,
      name: "insert",
      ...(options.rowsPerSecond > 0
        ? { rateLimit: { rate: options.rowsPerSecond / options.page, per: "1s" } }
        : {}),
    });
}
