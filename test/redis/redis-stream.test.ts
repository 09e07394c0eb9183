import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { redisStream } from "../../src/redis/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { testRedis } from "../helpers/redis.js";
import { until as waitUntil } from "../helpers/until.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits up to 10 s for `check()` to hold. */
const until = (check: () => boolean | Promise<boolean>): Promise<void> => waitUntil(check, 10_000);

interface Job {
  readonly id: number;
}

describe("redisStream()", () => {
  test("a pipeline writes to a stream; a consumer group run reads every entry, acks each after its last stage, and finishes on finish()", async (t) => {
    const redis = await testRedis(t);
    if (redis === undefined) return;
    const key = `${redis.prefix}:jobs`;
    const written = await from(range(500).map((id): Job => ({ id })))
      .to(redisStream<Job>({ key }), { batch: 64 })
      .run();
    assert.equal(written.outcome, "completed");
    assert.equal(await redis.client.xlen(key), 500);

    const seen = new Set<number>();
    const run = from(redisStream<Job>({ key, group: "workers", block: 100 }))
      .map(async (job: Job) => ({ ...job, done: true }), { concurrency: 16 })
      .filter((job) => job.id % 10 !== 3)
      .forEach((job) => {
        seen.add(job.id);
      })
      .run();
    const finished = run.drain();
    await until(() => seen.size === 450);
    run.finish();
    const summary = await finished;
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.deliveries?.["received"], 500);
    assert.equal(summary.deliveries?.["acked"], 500);
    assert.equal(summary.deliveries?.["inFlight"], 0);
    // Every entry acked: nothing pending in the group.
    const [pending] = (await redis.client.xpending(key, "workers")) as [number];
    assert.equal(pending, 0);
  });

  test("two consumers of one group share the entries; each is processed once when none dies", async (t) => {
    const redis = await testRedis(t);
    if (redis === undefined) return;
    const key = `${redis.prefix}:shared`;
    await from(range(400).map((id): Job => ({ id })))
      .to(redisStream<Job>({ key }))
      .run();
    const counts = new Map<number, number>();
    const worker = (name: string) =>
      from(redisStream<Job>({ key, group: "g", consumer: name, block: 50, count: 10 }))
        .map(
          async (job: Job) => {
            await sleep(1);
            return job;
          },
          { concurrency: 4 },
        )
        .forEach((job) => {
          counts.set(job.id, (counts.get(job.id) ?? 0) + 1);
        })
        .run();
    const a = worker("a");
    const b = worker("b");
    const both = Promise.all([a.drain(), b.drain()]);
    await until(() => counts.size === 400);
    a.finish();
    b.finish();
    const [sa, sb] = await both;
    assert.ok(sa.deliveries!["received"]! > 0 && sb.deliveries!["received"]! > 0);
    assert.equal(sa.deliveries!["received"]! + sb.deliveries!["received"]!, 400);
    assert.ok([...counts.values()].every((n) => n === 1));
  });

  test("a poison entry goes to the dead-letter stream after maxDeliveries, with its error, and blocks no other", async (t) => {
    const redis = await testRedis(t);
    if (redis === undefined) return;
    const key = `${redis.prefix}:poison`;
    await from(range(50).map((id): Job => ({ id })))
      .to(redisStream<Job>({ key }))
      .run();
    const done = new Set<number>();
    let poisonCalls = 0;
    const run = from(
      redisStream<Job>({
        key,
        group: "g",
        block: 20,
        claimIdle: 300,
        retryDelay: 20,
        maxDeliveries: 3,
      }),
    )
      .map(
        (job: Job) => {
          if (job.id === 13) {
            poisonCalls++;
            throw new TypeError("cannot handle 13");
          }
          return job;
        },
        { onError: "skip" },
      )
      .forEach((job) => {
        done.add(job.id);
      })
      .run();
    const finished = run.drain();
    const dead = `${key}:dead`;
    await until(async () => done.size === 49 && (await redis.client.xlen(dead)) === 1);
    run.finish();
    const summary = await finished;
    assert.equal(poisonCalls, 3);
    assert.equal(summary.deliveries?.["deadLettered"], 1);
    const entries = (await redis.client.xrange(dead, "-", "+")) as [string, string[]][];
    const fields = entries[0]![1];
    const letter: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) letter[fields[i]!] = fields[i + 1]!;
    assert.equal(letter["error"], "TypeError: cannot handle 13");
    assert.equal(letter["deliveries"], "3");
    assert.deepEqual(JSON.parse(letter["data"]!), { id: 13 });
    const [pending] = (await redis.client.xpending(key, "g")) as [number];
    assert.equal(pending, 0);
  });

  test("an entry held by a consumer that stopped without acking is claimed by another after claimIdle", async (t) => {
    const redis = await testRedis(t);
    if (redis === undefined) return;
    const key = `${redis.prefix}:claim`;
    await from(range(20).map((id): Job => ({ id })))
      .to(redisStream<Job>({ key }))
      .run();
    // A consumer that reads entries and never finishes them: cancelled mid-way.
    const stuck = from(redisStream<Job>({ key, group: "g", consumer: "stuck", block: 20 }))
      .map(() => new Promise(() => {}), { concurrency: 5 })
      .run();
    void stuck.drain().catch(() => {});
    await until(async () => {
      const [pending] = (await redis.client.xpending(key, "g")) as [number];
      return pending >= 5;
    });
    await stuck.cancel();
    const seen = new Set<number>();
    const rescuer = from(
      redisStream<Job>({
        key,
        group: "g",
        consumer: "rescuer",
        block: 20,
        claimIdle: 200,
        retryDelay: 20,
      }),
    )
      .forEach((job: Job) => {
        seen.add(job.id);
      })
      .run();
    const rescued = rescuer.drain();
    await until(() => seen.size === 20);
    rescuer.finish();
    const summary = await rescued;
    assert.ok(summary.deliveries!["reclaimed"]! >= 5);
    const [pending] = (await redis.client.xpending(key, "g")) as [number];
    assert.equal(pending, 0);
  });

  test("a consumer holds no more unacked entries than the pipeline has room for: the backlog stays in Redis", async (t) => {
    const redis = await testRedis(t);
    if (redis === undefined) return;
    const key = `${redis.prefix}:backlog`;
    await from(range(2_000).map((id): Job => ({ id })))
      .to(redisStream<Job>({ key }), { batch: 500 })
      .run();
    // Capacity: 16 read ahead + (2 wide + 4 buffered): 22 entries, whatever `count` says.
    const run = from(redisStream<Job>({ key, group: "g", block: 20, count: 500 }), { buffer: 16 })
      .map(() => new Promise(() => {}), { concurrency: 2, buffer: 4 })
      .run();
    void run.drain().catch(() => {});
    await sleep(300);
    const [pending] = (await redis.client.xpending(key, "g")) as [number];
    assert.ok(pending > 0 && pending <= 22, `${pending} entries held`);
    await run.cancel();
  });

  test("options are checked, naming the option", () => {
    assertInvalid(
      () => redisStream({} as never),
      "Expected `redisStream.key` to be a non-empty string, got `undefined` (undefined)",
      "redisStream.key",
    );
    assertInvalid(
      () => redisStream({ key: "k", count: 0 }),
      "Expected `redisStream.count` to be an integer >= 1, got `0` (number)",
      "redisStream.count",
    );
    assertInvalid(
      () => redisStream({ key: "k", claimIdle: 100, retryDelay: 200 }),
      "Expected `redisStream.retryDelay` to be shorter than `claimIdle` (100 ms), got `200` (number)",
      "redisStream.retryDelay",
    );
    assert.throws(
      () => redisStream({ key: "k", nope: 1 } as never),
      /Unknown option `redisStream.nope`/,
    );
  });

  test("read as a source without a group, it says a group is needed", async () => {
    const run = from(redisStream({ key: "sluice-test:no-group" })).run();
    await assert.rejects(run.drain(), (error) =>
      /needs a consumer group/.test(String((error as { cause?: Error }).cause?.message ?? error)),
    );
  });
});
