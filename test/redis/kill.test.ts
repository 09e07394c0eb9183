import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { from } from "../../src/index.js";
import { redisStream } from "../../src/redis/index.js";
import { type CliResult, runCli } from "../cli/run-cli.js";
import { testRedis } from "../helpers/redis.js";

const ITEMS = 20_000;
const worker = fileURLToPath(new URL("./fixtures/worker.mjs", import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await sleep(25);
  }
}

describe("Redis Streams workers", () => {
  test("2 workers share 20,000 jobs; one is SIGKILLed midway, the other finishes: 0 lost, duplicates within the dead one's held entries, 20,000 rows", async (t) => {
    const redis = await testRedis(t);
    if (redis === undefined) return;
    const db = new pg.Pool({ host: "127.0.0.1", user: "postgres", database: "test", max: 1 });
    const table = `sluice_kill_${process.pid}`;
    await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    t.after(async () => {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
      await db.end();
    });
    const key = `${redis.prefix}:jobs`;
    const seen = `${redis.prefix}:seen`;
    await from(Array.from({ length: ITEMS }, (_, id) => ({ id })))
      .to(redisStream({ key }), { batch: 500 })
      .run();

    const children: ChildProcess[] = [];
    const start = (): Promise<CliResult> =>
      runCli(
        ["run", worker, "--no-progress", "--json", "--", key, "workers", redis.prefix, table],
        {
          timeoutMs: 60_000,
          onSpawn: (child) => children.push(child),
        },
      );
    t.after(() => {
      for (const child of children) child.kill("SIGKILL");
    });
    const victim = start();
    const survivor = start();
    await until(async () => (await redis.client.hlen(seen)) >= ITEMS / 4, 30_000);
    children[0]!.kill("SIGKILL");
    const killed = await victim;
    assert.equal(killed.signal, "SIGKILL");
    // What the dead worker held: delivered to it, never acked.
    const consumers = (await redis.client.call(
      "XINFO",
      "CONSUMERS",
      key,
      "workers",
    )) as unknown[][];
    const held = consumers
      .map((fields) => Object.fromEntries(pairs(fields)))
      .filter((c) => !String(c["name"]).includes(String(children[1]!.pid)))
      .reduce((sum, c) => sum + Number(c["pending"]), 0);

    await until(async () => (await redis.client.hlen(seen)) === ITEMS, 45_000);
    children[1]!.kill("SIGTERM");
    const drained = await survivor;
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stderr, /stopped on SIGTERM/);

    const counts = Object.values(await redis.client.hgetall(seen)).map(Number);
    assert.equal(counts.length, ITEMS, "every job processed: 0 lost");
    const duplicates = counts.reduce((sum, n) => sum + n - 1, 0);
    t.diagnostic(`${duplicates} duplicates; the killed worker held ${held} entries`);
    assert.ok(duplicates <= held, `${duplicates} duplicates, the killed worker held ${held}`);
    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    assert.equal(Number(rows[0]!.n), ITEMS);
    // The survivor acked all it took, the dead one's entries included.
    const summary = JSON.parse(drained.stdout) as { deliveries: Record<string, number> };
    assert.equal(summary.deliveries["inFlight"], 0);
    assert.ok(summary.deliveries["reclaimed"]! > 0);
    const [pending] = (await redis.client.xpending(key, "workers")) as [number];
    assert.equal(pending, 0);
  });
});

function pairs(flat: unknown[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
}
