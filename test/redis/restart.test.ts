import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Redis } from "ioredis";
import { from } from "../../src/index.js";
import { redisStream } from "../../src/redis/index.js";
import { OwnRedis } from "../helpers/redis-server.js";

const ITEMS = 3_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("Redis Streams across a broker restart", () => {
  test("the broker stops and starts mid-run: the run reconnects and completes, 0 lost", async (t) => {
    const server = await OwnRedis.start();
    t.after(() => server.dispose());
    const key = "jobs";
    await from(Array.from({ length: ITEMS }, (_, id) => ({ id })))
      .to(redisStream({ key, url: server.url }), { batch: 200 })
      .run();
    const seen = new Set<number>();
    const run = from(
      redisStream<{ id: number }>({
        key,
        group: "g",
        url: server.url,
        block: 50,
        claimIdle: 1_000,
        retryDelay: 100,
      }),
    )
      .map(
        async (job) => {
          await sleep(1);
          return job;
        },
        { concurrency: 20 },
      )
      .forEach((job) => {
        seen.add(job.id);
      })
      .run();
    const finished = run.drain();
    while (seen.size < ITEMS / 3) await sleep(10);
    await server.stop();
    const during = seen.size;
    await sleep(300);
    await server.start();
    const end = Date.now() + 30_000;
    while (seen.size < ITEMS && Date.now() < end) await sleep(20);
    run.finish();
    const summary = await finished;
    assert.ok(during < ITEMS, "the restart came mid-run");
    assert.equal(seen.size, ITEMS, "every job processed");
    assert.equal(summary.outcome, "completed");
    // Whatever was acked while the broker was down was acked again after: nothing pending.
    const client = new Redis(server.url);
    t.after(() => client.disconnect());
    await sleep(100);
    const [pending] = (await client.xpending(key, "g")) as [number];
    assert.equal(pending, 0);
  });
});
