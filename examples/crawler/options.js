// @ts-check
/**
 * The crawler's command-line options.
 * @module
 */
import { parseArgs } from "node:util";

/** @param {readonly string[]} args */
export function crawlOptions(args) {
  const { values } = parseArgs({
    args: [...args],
    options: {
      database: { type: "string" },
      table: { type: "string", default: "crawl_pages" },
      origins: { type: "string" },
      hosts: { type: "string", default: "40" },
      pages: { type: "string", default: "500" },
      slow: { type: "string", default: "4" },
      bursty: { type: "string", default: "4" },
      hanging: { type: "string", default: "1" },
      concurrency: { type: "string", default: "128" },
      "per-host": { type: "string", default: "4" },
      rate: { type: "string", default: "200" },
      timeout: { type: "string", default: "30000" },
    },
  });
  const table = values.table;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
    throw new TypeError(
      `Expected --table to be a table name (letters, digits, _), got ${JSON.stringify(table)}`,
    );
  }
  return {
    database:
      values.database ?? process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test",
    table,
    /** Crawl these origins (comma-separated) instead of starting an internet. */
    origins: values.origins?.split(",").filter((origin) => origin !== ""),
    hosts: count("--hosts", values.hosts, 1),
    pages: count("--pages", values.pages, 1),
    slow: count("--slow", values.slow, 0),
    bursty: count("--bursty", values.bursty, 0),
    hanging: count("--hanging", values.hanging, 0),
    concurrency: count("--concurrency", values.concurrency, 1),
    perHost: count("--per-host", values["per-host"], 1),
    /** Requests per second per host. */
    rate: count("--rate", values.rate, 1),
    timeoutMs: count("--timeout", values.timeout, 1),
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
