#!/usr/bin/env node
// @ts-check
/**
 * Makes the migration's data: the source table with `--rows` rows (ids 1..rows), an empty
 * target table, and no checkpoint, so the next `sluice run examples/db-migration` starts
 * from the beginning. `node examples/db-migration/generate.js --rows 1000000`
 * @module
 */
import pg from "pg";
import { migrationOptions } from "./options.js";
import { progressStore } from "./progress-store.js";
import { createTarget } from "./target.js";

const options = migrationOptions(process.argv.slice(2));
const client = new pg.Client({ connectionString: options.database });
await client.connect();
try {
  const started = performance.now();
  await client.query(`DROP TABLE IF EXISTS ${options.source}, ${options.target}`);
  await client.query(
    `CREATE TABLE ${options.source} (
       id bigint PRIMARY KEY,
       customer_email text NOT NULL,
       amount_cents integer NOT NULL,
       currency text NOT NULL,
       created_at timestamptz NOT NULL,
       note text
     )`,
  );
  // One statement, made by the server: a million rows in a few seconds.
  await client.query(
    `INSERT INTO ${options.source}
     SELECT g,
            '  Customer' || (g % 50000) || '@Example.COM ',
            (g * 7919) % 1000000,
            (ARRAY['eur', 'usd', 'gbp'])[1 + g % 3],
            timestamptz '2026-01-01' + (g % 31536000) * interval '1 second',
            CASE WHEN g % 10 = 0 THEN NULL ELSE 'order ' || g END
     FROM generate_series(1, $1::bigint) AS g`,
    [options.rows],
  );
  await createTarget(client, options.target);
  await progressStore(client, options).clear();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${options.source}: ${options.rows} rows; ${options.target}: empty (${seconds} s)`);
} finally {
  await client.end();
}
