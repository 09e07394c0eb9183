import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import type pg from "pg";
import { checkpoint, from } from "../../src/index.js";
import { pgCheckpoint, pgKeyset } from "../../src/pg/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { testPostgres } from "../helpers/postgres.js";

/** Runs `body` on the machine's PostgreSQL, with `tables` dropped before and after it. */
async function withTables(
  t: TestContext,
  tables: string[],
  body: (db: pg.Pool) => Promise<void>,
): Promise<void> {
  const db = await testPostgres(t);
  if (db === undefined) return;
  const drop = `DROP TABLE IF EXISTS ${tables.join(", ")}`;
  await db.query(drop);
  try {
    await body(db);
  } finally {
    await db.query(drop);
  }
}

const CONNECTION = { host: "127.0.0.1", user: "postgres", database: "test" };

describe("pgCheckpoint", () => {
  test("makes its table, saves with one upsert per name, loads and clears", async (t) => {
    const table = `sluice_test_ckpt_${process.pid}`;
    await withTables(t, [table], async (db) => {
      const a = pgCheckpoint<number>({ connection: db, name: "a", table });
      const b = pgCheckpoint<number>({ connection: CONNECTION, name: "b", table });
      t.after(() => b.close?.());
      assert.equal(await a.load(), undefined);
      await a.save({ position: 10, done: [12, 14] });
      await b.save({ position: undefined, done: [] });
      await a.save({ position: 14, done: [] });
      assert.deepEqual(await a.load(), { position: 14, done: [] });
      assert.deepEqual(await b.load(), { position: undefined, done: [] });
      const { rows } = await db.query(`SELECT name FROM ${table} ORDER BY name`);
      assert.deepEqual(
        rows.map((row: { name: string }) => row.name),
        ["a", "b"],
      );
      await a.clear();
      assert.equal(await a.load(), undefined);
      await a.close?.();
      assert.equal(
        (await db.query("SELECT 1 AS one")).rows[0].one,
        1,
        "the caller's pool stays open",
      );
    });
  });

  test("bad options are refused with the option named", () => {
    assertInvalid(
      () => pgCheckpoint({ connection: 5 as never, name: "x" }),
      'Expected `pgCheckpoint.connection` to be a pg Pool or Client, a connection string ("postgres://user@host/db") or a pg config object, got `5` (number)',
      "pgCheckpoint.connection",
    );
    assertInvalid(
      () => pgCheckpoint({ connection: CONNECTION, name: "" }),
      'Expected `pgCheckpoint.name` to be a non-empty string naming the checkpoint, got `""` (string)',
      "pgCheckpoint.name",
    );
    assertInvalid(
      () => pgCheckpoint({ connection: CONNECTION, name: "x", size: 1 } as never),
      "Unknown option `pgCheckpoint.size`. Known options: connection, name, table",
      "pgCheckpoint.size",
    );
  });
});

describe("pgKeyset", () => {
  test("reads a table in keyset pages; a checkpointed run stopped midway resumes and skips completed pages", async (t) => {
    const source = `sluice_test_keyset_src_${process.pid}`;
    const ckpt = `sluice_test_keyset_ckpt_${process.pid}`;
    await withTables(t, [source, ckpt], async (db) => {
      await db.query(`CREATE TABLE ${source} (id bigint PRIMARY KEY, name text)`);
      await db.query(`INSERT INTO ${source} SELECT g, 'row ' || g FROM generate_series(1, 1050) g`);
      const pages = pgKeyset<{ id: string; name: string }>({
        connection: db,
        table: source,
        key: "id",
        page: 100,
      });
      const all = await from(pages).run().collect();
      assert.equal(all.length, 11);
      assert.equal(all.flat().length, 1050);
      assert.equal(all[10]!.length, 50);

      const store = pgCheckpoint({ connection: db, name: "keyset", table: ckpt });
      const firstRun: string[] = [];
      const controller = new AbortController();
      const run = from(pages, { checkpoint: checkpoint(store, { every: 1 }) })
        .map(
          async (rows) => {
            // Later pages finish first: the checkpoint must keep those past its position.
            await new Promise((resolve) => setTimeout(resolve, rows[0]!.id === "1" ? 30 : 1));
            return rows;
          },
          { concurrency: 4 },
        )
        .forEach((rows) => {
          firstRun.push(rows[0]!.id);
          if (firstRun.length === 5) controller.abort(new Error("stop"));
        })
        .run({ signal: controller.signal });
      await run.drain().catch(() => {});
      const saved = (await store.load())!;
      assert.ok(saved.done.length > 0 || saved.position !== undefined, "progress was saved");

      const resumed = from(pages, { checkpoint: checkpoint(store) }).run();
      const secondRun = (await resumed.collect()).map((rows) => rows[0]!.id);
      const summary = await resumed.settled;
      assert.equal(new Set([...firstRun, ...secondRun]).size, 11, "every page done");
      const completed = new Set(firstRun.slice(0, -1));
      assert.ok(
        secondRun.every((id) => !completed.has(id) || id === firstRun.at(-1)),
        `pages done in the first run came again: ${secondRun} after ${firstRun}`,
      );
      assert.equal(summary.deliveries!["skipped"], saved.done.length);
    });
  });

  test("columns select what is named, and the key with them", async (t) => {
    const source = `sluice_test_keyset_cols_${process.pid}`;
    await withTables(t, [source], async (db) => {
      await db.query(`CREATE TABLE ${source} (id int PRIMARY KEY, name text, secret text)`);
      await db.query(`INSERT INTO ${source} VALUES (1, 'a', 'x'), (2, 'b', 'y')`);
      const rows = (
        await from(
          pgKeyset({ connection: CONNECTION, table: source, key: "id", columns: ["name"] }),
        )
          .run()
          .collect()
      ).flat();
      assert.deepEqual(rows, [
        { name: "a", id: 1 },
        { name: "b", id: 2 },
      ]);
    });
  });

  test("bad options are refused with the option named", () => {
    assertInvalid(
      () => pgKeyset({ connection: CONNECTION, table: "t", key: "" }),
      'Expected `pgKeyset.key` to be a table or column name (a non-empty string, "schema.table" allowed), got `""` (string)',
      "pgKeyset.key",
    );
    assertInvalid(
      () => pgKeyset({ connection: CONNECTION, table: "t", key: "id", page: 0 }),
      "Expected `pgKeyset.page` to be an integer >= 1, got `0` (number)",
      "pgKeyset.page",
    );
    assertInvalid(
      () => pgKeyset({ connection: CONNECTION, table: "t", key: "id", columns: [] }),
      "Expected `pgKeyset.columns` to be a non-empty array of column names, got `[]` (array)",
      "pgKeyset.columns",
    );
  });
});
