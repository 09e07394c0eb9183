// @ts-check
/**
 * The crawl's table, and a batch of pages written with one statement.
 * @module
 */

/**
 * @param {{ query(text: string): Promise<unknown> }} db
 * @param {string} table
 */
export async function createPagesTable(db, table) {
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${table} (
       url text PRIMARY KEY,
       host text NOT NULL,
       title text NOT NULL,
       links integer NOT NULL,
       bytes integer NOT NULL,
       fetched_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
}

/**
 * Upserts a batch of pages: a page crawled again replaces its row.
 * @param {{ query(text: string, values: unknown[]): Promise<unknown> }} db
 * @param {string} table
 * @param {readonly import("./parse-page.js").PageRow[]} rows
 */
export async function writePages(db, table, rows) {
  await db.query(
    `INSERT INTO ${table} (url, host, title, links, bytes)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[])
     ON CONFLICT (url) DO UPDATE SET title = EXCLUDED.title, links = EXCLUDED.links,
       bytes = EXCLUDED.bytes, fetched_at = now()`,
    [
      rows.map((row) => row.url),
      rows.map((row) => row.host),
      rows.map((row) => row.title),
      rows.map((row) => row.links),
      rows.map((row) => row.bytes),
    ],
  );
}
