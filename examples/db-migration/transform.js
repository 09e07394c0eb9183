// @ts-check
/**
 * The new shape of a row.
 * @module
 */

/**
 * @typedef {{ id: string, customer_email: string, amount_cents: number, currency: string, created_at: Date, note: string | null }} SourceRow
 */

/**
 * Trims and lower-cases the email, turns cents into a decimal amount, upper-cases the
 * currency and keeps the day of the timestamp (UTC).
 * @param {SourceRow} row
 * @returns {import("./target.js").TargetRow}
 */
export function transformRow(row) {
  const cents = row.amount_cents;
  return {
    id: row.id,
    email: row.customer_email.trim().toLowerCase(),
    amount: `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, "0")}`,
    currency: row.currency.toUpperCase(),
    createdDay: row.created_at.toISOString().slice(0, 10),
    note: row.note,
  };
}
