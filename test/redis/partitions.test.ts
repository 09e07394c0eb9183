import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { redisStream } from "../../src/redis/index.js";
import { partitionOf } from "../../src/internal/partition-hash.js";
import { testRedis } from "../helpers/redis.js";
import { assertEachInOrder, type Order, orders, orderWorker, record } from "../helpers/orders.js";
import { until } from "../helpers/until.js";

describe("redisStream({ partitions })", () => {
  test("a partitioned destination writes each item to the partition of its key", async (t) => {
    const redis = await testRedis(t);
    if (redis === undefined) return;
    const key = `${redis.prefix}:orders`;
    await from(orders(10))
      .to(redisStream<Order>({ key, partitions: 4 }), { key: (order) => order.customer })
      .run();
    let total = 0;
    for (let p = 0; p < 4; p++) {
      const entries = (await redis.client.xrange(`${key}:${p}`, "-", "+")) as [string, string[]][];
      total += entries.length;
      for (const [, fields] of entries) {
        const order = JSON.parse(fields[1]!) as Order;
        assert.equal(partitionOf(order.customer, 4), p);
      }
    }
    assert.equal(total, 200);
    assert.equal(await redis.client.exists(key), 0);
  });

  test("to() asks for a key when the destination has partitions", () => {
    assert.throws(
      () => from(orders(1)).to(redisStream<Order>({ key: "k", partitions: 4 })),
      /Option `to.key` is needed: redis:k has 4 partitions/,
    );
  });

  test("two workers share the partitions, each leased by one at a time: every order once, each customer's in order", async (t) => {
    const redis = await testRedis(t);
    if (redis === undefined) return;
    const key = `${redis.prefix}:shared`;
    // ~1 ms an order, one at a time: 3,000 orders outlast the first lease handover (a worker
    // gives up the partitions past its share at its next renewal, a third of claimIdle).
    const PER_CUSTOMER = 150;
    await from(orders(PER_CUSTOMER))
      .to(redisStream<Order>({ key, partitions: 4 }), { key: (order) => order.customer })
      .run();
    const seen = new Map<string, number[]>();
    let processed = 0;
    const worker = (name: string) =>
      orderWorker(
        redisStream<Order>({
          key,
          group: "g",
          consumer: name,
          partitions: 4,
          // A lease lapses if its holder stalls this long (then both may run an entry): long
          // enough for a loaded CI machine, where 300 ms lapsed once and 33 orders ran twice.
          claimIdle: 2_000,
          retryDelay: 50,
          block: 20,
        }),
        (order) => {
          processed++;
          record(seen, order);
        },
      );
    const a = worker("a");
    const b = worker("b");
    const both = Promise.all([a.drain(), b.drain()]);
    await until(() => processed >= PER_CUSTOMER * 20, 30_000);
    a.finish();
    b.finish();
    const [sa, sb] = await both;
    assert.equal(processed, PER_CUSTOMER * 20);
    assert.equal(sa.deliveries!["received"]! + sb.deliveries!["received"]!, PER_CUSTOMER * 20);
    // The partitions were shared (the second worker got some once the first gave them up).
    assert.ok(sa.deliveries!["received"]! > 0 && sb.deliveries!["received"]! > 0);
    assertEachInOrder(seen, PER_CUSTOMER);
  });

  test("a worker that stops gives its partitions up; the other takes them over, pending entries first", async (t) => {
    const redis = await testRedis(t);
    if (redis === undefined) return;
    const key = `${redis.prefix}:takeover`;
    await from(orders(20))
      .to(redisStream<Order>({ key, partitions: 2 }), { key: (order) => order.customer })
      .run();
    // claimIdle: a stall past it lets the second worker claim its own held entries again
    // (a duplicate); 1 s leaves a loaded CI machine room, where 300 ms did not elsewhere.
    const options = { key, group: "g", partitions: 2, claimIdle: 1_000, retryDelay: 50, block: 20 };
    // The first worker holds a few orders it never finishes, then is cancelled.
    const first = from(redisStream<Order>({ ...options, consumer: "first" }))
      .map(() => new Promise(() => {}), { concurrency: 4 })
      .run();
    void first.drain().catch(() => {});
    await until(() => (first.stats().deliveries?.["received"] ?? 0) >= 4);
    await first.cancel();
    const seqs = new Map<string, number[]>();
    let processed = 0;
    const second = from(redisStream<Order>({ ...options, consumer: "second" }))
      .forEach(
        (order: Order) => {
          processed++;
          record(seqs, order);
        },
        { concurrency: 1 },
      )
      .run();
    const done = second.drain();
    await until(() => processed >= 400);
    second.finish();
    const summary = await done;
    assert.equal(processed, 400);
    assert.ok(summary.deliveries!["reclaimed"]! >= 4);
    assertEachInOrder(seqs, 20);
  });
});
