import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import type pg from "pg";
import { testPostgres } from "../helpers/postgres.js";
import { until } from "../helpers/until.js";
import { runExample, runScript } from "./run-example.js";

const ROWS = 100_000;
const PAGE = 1_000;
const SMALL_PAGE = 100;

/**
 * Runs `body` with a generated source of {@link ROWS} rows: the example's table arguments,
 * the target's row count, and the tables dropped afterwards.
 */
async function withMigration(
  t: TestContext,
  name: string,
  body: (
    db: pg.Pool,
    tables: string[],
    copied: () => Promise<number>,
    prefix: string,
  ) => Promise<void>,
): Promise<void> {
  const db = await testPostgres(t);
  if (db === undefined) return;
  const prefix = `sluice_test_${name}_${process.pid}`;
  const tables = [
    "--source",
    `${prefix}_source`,
    "--target",
    `${prefix}_target`,
    "--checkpoint-table",
    `${prefix}_checkpoints`,
  ];
  try {
    await runScript("db-migration/generate.js", [...tables, "--rows", String(ROWS)]);
    const copied = async () =>
      Number((await db.query(`SELECT count(*) AS n FROM ${prefix}_target`)).rows[0].n);
    await body(db, tables, copied, prefix);
  } finally {
    await db.query(
      `DROP TABLE IF EXISTS ${prefix}_source, ${prefix}_target, ${prefix}_checkpoints`,
    );
  }
}

describe("examples/db-migration", () => {
  test("killed midway (SIGKILL) and run again: every row exactly once, and the resumed run skips the pages done", async (t) => {
    await withMigration(t, "migration", async (db, tables, copied, prefix) => {
      // 40,000 rows/s: the kill lands a second in, with pages done and pages in flight.
      const killed = await runExample("db-migration", [...tables, "--rows-per-second", "40000"], {
        onSpawn: (child) => {
          void until(async () => (await copied()) >= 30_000, 30_000).then(
            () => child.kill("SIGKILL"),
            () => child.kill("SIGKILL"),
          );
        },
      });
      assert.equal(killed.signal, "SIGKILL", `the first run was not killed: ${killed.stderr}`);
      const atKill = await copied();
      assert.ok(atKill < ROWS, `the first run had finished (${atKill} rows)`);
      const saved = (await db.query(`SELECT position, done FROM ${prefix}_checkpoints`))
        .rows[0] as { position: string | null; done: string[] };
      assert.ok(saved !== undefined && saved.position !== null, "the checkpoint was saved");
      const pagesBefore = Number(saved.position) / PAGE;

      const resumed = await runExample("db-migration", tables);
      assert.equal(resumed.code, 0, resumed.stderr);
      const summary = JSON.parse(resumed.stdout) as {
        outcome: string;
        deliveries: { received: number; skipped: number };
      };
      assert.equal(summary.outcome, "completed");
      // The resumed run read only the pages after the saved position, and skipped those of
      // them the killed run had completed.
      assert.equal(summary.deliveries.skipped, saved.done.length);
      assert.equal(
        summary.deliveries.received,
        ROWS / PAGE - pagesBefore - saved.done.length,
        `resumed after page ${pagesBefore} with ${saved.done.length} done past it`,
      );
      const { rows } = await db.query(
        `SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS first, max(id) AS last FROM ${prefix}_target`,
      );
      assert.deepEqual(rows[0], {
        n: String(ROWS),
        ids: String(ROWS),
        first: "1",
        last: String(ROWS),
      });
      const sample = (
        await db.query(
          `SELECT email, amount, currency, created_day::text AS day FROM ${prefix}_target WHERE id = 12345`,
        )
      ).rows[0];
      assert.deepEqual(sample, {
        email: "customer12345@example.com",
        amount: (((12345 * 7919) % 1_000_000) / 100).toFixed(2),
        currency: "EUR",
        day: "2026-01-01",
      });
    });
  });

  test("stopped by SIGTERM: it finishes the pages it holds, saves them, and the next run reads only the rest", async (t) => {
    await withMigration(t, "migration_term", async (db, tables, copied, prefix) => {
      // Pages of 100: the stages' buffers (~340 pages) hold a third of the table, so the
      // stop comes while there is more to read than the run holds.
      const stopped = await runExample(
        "db-migration",
        [...tables, "--page", String(SMALL_PAGE), "--rows-per-second", "40000"],
        {
          onSpawn: (child) => {
            void until(async () => (await copied()) >= 20_000, 30_000).then(
              () => child.kill("SIGTERM"),
              () => child.kill("SIGKILL"),
            );
          },
        },
      );
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(
        stopped.stderr,
        /stopped on SIGTERM: it fetched no more and finished what it held/,
      );
      const atStop = await copied();
      assert.ok(atStop < ROWS, `the run had finished (${atStop} rows)`);
      // Everything it wrote, and nothing more, is in the checkpoint: the position is the last
      // row written, with nothing done past it.
      const saved = (await db.query(`SELECT position, done FROM ${prefix}_checkpoints`))
        .rows[0] as { position: string; done: string[] };
      assert.deepEqual(saved, { position: String(atStop), done: [] });
      const resumed = await runExample("db-migration", [...tables, "--page", String(SMALL_PAGE)]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const summary = JSON.parse(resumed.stdout) as { deliveries: { received: number } };
      assert.equal(summary.deliveries.received, (ROWS - atStop) / SMALL_PAGE);
      assert.equal(await copied(), ROWS);
    });
  });

  test("bad arguments are refused, naming the option", async () => {
    const run = await runExample("db-migration", ["--workers", "0"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Expected --workers to be an integer >= 1, got "0"/);
  });
});
