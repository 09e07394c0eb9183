// @ts-check
/**
 * Checks the examples' command-line values, with messages that name the option.
 * @module
 */

/**
 * `value` as an integer of at least `min`.
 * @param {string} option
 * @param {string} value
 * @param {number} min
 */
export function integerArgument(option, value, min) {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new TypeError(
      `Expected ${option} to be an integer >= ${min}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/**
 * `value` as a table name the examples put in SQL: letters, digits and underscores only.
 * @param {string} option
 * @param {string} value
 */
export function tableArgument(option, value) {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw new TypeError(
      `Expected ${option} to be a table name (letters, digits, _), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * The PostgreSQL to use: `--database`, else `DATABASE_URL`, else the machine's own.
 * @param {string | undefined} value
 */
export function databaseArgument(value) {
  return value ?? process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
}
