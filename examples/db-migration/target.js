// @ts-check
/**
 * The target table and how a page of rows goes into it.
 * @module
 */

/**
 * @typedef {{ id: string, email: string, amount: string, currency: string, createdDay: string, note: string | null }} TargetRow
 */

/**
 * Makes the target table if it is not there.
 * @param {{ query(text: string): Promise<unknown> }} db
 * @param {string} target
 */
export async function createTarget(db, target) {
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${target} (
       id bigint PRIMARY KEY,
       email text NOT NULL,
       amount numeric(12, 2) NOT NULL,
       currency char(3) NOT NULL,
       created_day date NOT NULL,
       note text
     )`,
  );
}

/**
 * Writes a page with one statement (`unnest` of one array per column); rows already there
 * (a page written again after a kill) are left as they are.
 * @param {{ query(text: string, values: unknown[]): Promise<{ rowCount: number | null }> }} db
 * @param {string} target
 * @param {readonly TargetRow[]} rows
 * @returns {Promise<number>} rows inserted
 */
export async function insertPage(db, target, rows) {
  const result = await db.query(
    `INSERT INTO ${target} (id, email, amount, currency, created_day, note)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::numeric[], $4::text[], $5::date[], $6::text[])
     ON CONFLICT (id) DO NOTHING`,
    [
      rows.map((row) => row.id),
      rows.map((row) => row.email),
      rows.map((row) => row.amount),
      rows.map((row) => row.currency),
      rows.map((row) => row.createdDay),
      rows.map((row) => row.note),
    ],
  );
  return result.rowCount ?? 0;
}
