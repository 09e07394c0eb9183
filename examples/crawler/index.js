// @ts-check
/**
 * The crawler case study: a loopback "internet" of many hosts (some slow, some answering 503
 * in bursts, one that never answers a page) crawled politely and written to PostgreSQL.
 *
 *   hosts → sitemap (flatMap) → fetch: undici, one shared keep-alive agent; per host a rate
 *   limit, a concurrency and a breaker; a timeout; 503s retried → parse → batches of 500 →
 *   one INSERT … ON CONFLICT per batch
 *
 * `sluice run examples/crawler` (it starts its own internet in a worker thread); the summary
 * counts pages fetched and the errors by class; the run ends by itself, the hanging host's
 * requests ended by the timeout and then its breaker.
 * @module
 */
import pg from "pg";
import { from } from "sluice";
import { crawlOptions } from "./options.js";
import { HttpError, fetchText, sharedAgent } from "./fetch-page.js";
import { startInternetThread } from "./internet.js";
import { parsePage } from "./parse-page.js";
import { createPagesTable, writePages } from "./pages-table.js";

/** @param {string} url */
const hostOf = (url) => new URL(url).host;

/** @param {string[]} args the arguments after `--` */
export default async function crawler(args) {
  const options = crawlOptions(args);
  const origins =
    options.origins ??
    (
      await startInternetThread({
        hosts: options.hosts,
        pages: options.pages,
        slow: options.slow,
        bursty: options.bursty,
        hanging: options.hanging,
      })
    ).origins;
  const pool = new pg.Pool({ connectionString: options.database, max: 4, allowExitOnIdle: true });
  await createPagesTable(pool, options.table);
  const agent = sharedAgent(options.perHost);
  return from(origins)
    .flatMap(
      async function* (origin) {
        const sitemap = await fetchText(
          agent,
          `${origin}/sitemap.txt`,
          AbortSignal.timeout(options.timeoutMs),
        );
        for (const path of sitemap.split("\n")) if (path !== "") yield `${origin}${path}`;
      },
      { concurrency: 8, name: "sitemap" },
    )
    .map(async (url, { signal }) => ({ url, html: await fetchText(agent, url, signal) }), {
      name: "fetch",
      concurrency: options.concurrency,
      // Room for every host's line: sitemaps arrive host by host, and a small buffer would
      // hold one host's pages while the other hosts' connections sat idle.
      buffer: 20_000,
      key: hostOf,
      perKey: options.perHost,
      rateLimit: { rate: options.rate, per: "1s", key: hostOf },
      breaker: { failures: 5, halfOpenAfter: "5s", key: hostOf },
      retry: {
        attempts: 5,
        backoff: "200ms",
        retryIf: (error) => error instanceof HttpError && error.status === 503,
      },
      timeout: options.timeoutMs,
      onError: "skip",
    })
    .map(parsePage, { name: "parse" })
    .batch({ size: 500, maxWait: "200ms" })
    .forEach((rows) => writePages(pool, options.table, rows), { concurrency: 2, name: "write" });
}
