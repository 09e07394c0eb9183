// @ts-check
/**
 * The crawler's command-line options.
 * @module
 */
import { parseArgs } from "node:util";
import { databaseArgument, integerArgument, tableArgument } from "../shared/arguments.js";

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
  const table = tableArgument("--table", values.table);
  return {
    database: databaseArgument(values.database),
    table,
    /** Crawl these origins (comma-separated) instead of starting an internet. */
    origins: values.origins?.split(",").filter((origin) => origin !== ""),
    hosts: integerArgument("--hosts", values.hosts, 1),
    pages: integerArgument("--pages", values.pages, 1),
    slow: integerArgument("--slow", values.slow, 0),
    bursty: integerArgument("--bursty", values.bursty, 0),
    hanging: integerArgument("--hanging", values.hanging, 0),
    concurrency: integerArgument("--concurrency", values.concurrency, 1),
    perHost: integerArgument("--per-host", values["per-host"], 1),
    /** Requests per second per host. */
    rate: integerArgument("--rate", values.rate, 1),
    timeoutMs: integerArgument("--timeout", values.timeout, 1),
  };
}
