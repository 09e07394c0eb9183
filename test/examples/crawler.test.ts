import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { testPostgres } from "../helpers/postgres.js";
import { runExample } from "./run-example.js";

interface Internet {
  origins: string[];
  behaviours: string[];
  connections(): number[];
  close(): Promise<void>;
}

const SHAPE = { hosts: 8, pages: 60, slow: 1, bursty: 2, hanging: 1 };
const PER_HOST = 3;

describe("examples/crawler", () => {
  test("crawls a loopback internet into PostgreSQL: every answering page written, the hanging host timed out then broken, few connections, nothing left hanging", async (t) => {
    const db = await testPostgres(t);
    if (db === undefined) return;
    const table = `sluice_test_crawl_${process.pid}`;
    // The internet runs here, so the test can count each host's connections.
    const { startInternet } = (await import(
      new URL("../../../examples/crawler/internet.js", import.meta.url).href
    )) as { startInternet(shape: typeof SHAPE): Promise<Internet> };
    const internet = await startInternet(SHAPE);
    try {
      const run = await runExample(
        "crawler",
        [
          "--origins",
          internet.origins.join(","),
          "--table",
          table,
          "--per-host",
          String(PER_HOST),
          "--timeout",
          "1000",
        ],
        { timeoutMs: 90_000 },
      );
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout) as {
        outcome: string;
        durationMs: number;
        stages: {
          name: string;
          in: number;
          out: number;
          failed: number;
          failedBy?: Record<string, number>;
        }[];
      };
      assert.equal(summary.outcome, "completed");
      const fetch = summary.stages.find((stage) => stage.name === "fetch")!;
      assert.equal(fetch.in, SHAPE.hosts * SHAPE.pages, "every page of every sitemap");
      // The hanging host's pages fail: by its timeout first, then at once by its breaker.
      const failedBy = fetch.failedBy ?? {};
      assert.ok((failedBy["TimeoutError"] ?? 0) >= 1, JSON.stringify(failedBy));
      assert.ok((failedBy["BrokenCircuitError"] ?? 0) >= 1, JSON.stringify(failedBy));
      assert.equal(
        Object.values(failedBy).reduce((a, b) => a + b, 0),
        fetch.failed,
        "the errors by class add up to the failures",
      );
      // Bursts of 503 are retried: the answering hosts' pages are (almost) all there.
      const answering = (SHAPE.hosts - SHAPE.hanging) * SHAPE.pages;
      assert.ok(fetch.out >= answering - 5, `${fetch.out} of ${answering} pages fetched`);
      const { rows } = await db.query(
        `SELECT count(*)::int AS pages, count(DISTINCT host)::int AS hosts, min(links)::int AS links FROM ${table}`,
      );
      assert.deepEqual(rows[0], { pages: fetch.out, hosts: SHAPE.hosts - SHAPE.hanging, links: 5 });
      // One shared keep-alive agent: a host that answers sees at most its per-host width of
      // connections, however many pages it serves.
      internet.connections().forEach((count, i) => {
        if (internet.behaviours[i] !== "hanging") {
          assert.ok(
            count <= PER_HOST,
            `host ${i} (${internet.behaviours[i]}) saw ${count} connections`,
          );
        }
      });
    } finally {
      await internet.close();
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  });
});
