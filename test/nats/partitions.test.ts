import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { jetstream } from "../../src/nats/index.js";
import { partitionOf } from "../../src/internal/partition-hash.js";
import { testNats } from "../helpers/nats.js";
import { assertEachInOrder, type Order, orders, orderWorker, record } from "../helpers/orders.js";
import { until } from "../helpers/until.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const decoder = new TextDecoder();

describe("jetstream({ partitions })", () => {
  test("a partitioned destination publishes each item to the subject of its key's partition", async (t) => {
    const nats = await testNats(t);
    if (nats === undefined) return;
    const stream = `${nats.prefix}_ORDERS`;
    const subject = `${stream.toLowerCase()}.orders`;
    await from(orders(10))
      .to(jetstream<Order>({ stream, subject, partitions: 4 }), { key: (order) => order.customer })
      .run();
    const info = await nats.manager.streams.info(stream);
    assert.deepEqual(info.config.subjects, [`${subject}.*`]);
    assert.equal(info.state.messages, 200);
    const js = (await import("@nats-io/jetstream")).jetstream(nats.connection);
    for (let seq = 1; seq <= 200; seq++) {
      const message = await js.streams
        .get(stream)
        .then((s) => s.getMessage({ seq }))
        .then((m) => m!);
      const order = JSON.parse(decoder.decode(message.data)) as Order;
      assert.equal(message.subject, `${subject}.${partitionOf(order.customer, 4)}`);
    }
  });

  test("to() asks for a key when the destination has partitions; a partitioned source asks for its subject", async (t) => {
    assert.throws(
      () => from(orders(1)).to(jetstream<Order>({ stream: "S", subject: "s", partitions: 4 })),
      /Option `to.key` is needed: jetstream:s has 4 partitions/,
    );
    const nats = await testNats(t);
    if (nats === undefined) return;
    await assert.rejects(
      from(jetstream({ stream: `${nats.prefix}_X`, durable: "d", partitions: 2 }))
        .run()
        .drain(),
      /A partitioned JetStream source needs the `subject`/,
    );
  });

  test("two workers share the partitions, each leased by one at a time: every order once, each customer's in order", async (t) => {
    const nats = await testNats(t);
    if (nats === undefined) return;
    const stream = `${nats.prefix}_SHARED`;
    const subject = `${stream.toLowerCase()}.orders`;
    await from(orders(25))
      .to(jetstream<Order>({ stream, subject, partitions: 4 }), { key: (order) => order.customer })
      .run();
    const seen = new Map<string, number[]>();
    let processed = 0;
    const worker = () =>
      orderWorker(
        jetstream<Order>({
          stream,
          durable: "workers",
          subject,
          partitions: 4,
          ackWait: 600,
          retryDelay: 50,
        }),
        (order) => {
          processed++;
          record(seen, order);
        },
      );
    const a = worker();
    const b = worker();
    const both = Promise.all([a.drain(), b.drain()]);
    await until(() => processed >= 500, 20_000);
    a.finish();
    b.finish();
    const [sa, sb] = await both;
    assert.equal(processed, 500);
    assert.equal(sa.deliveries!["received"]! + sb.deliveries!["received"]!, 500);
    assert.ok(sa.deliveries!["received"]! > 0 && sb.deliveries!["received"]! > 0);
    assertEachInOrder(seen, 25);
  });

  test("one worker reads its partitions in turn: no message waits in the client past its ack wait", async (t) => {
    const nats = await testNats(t);
    if (nats === undefined) return;
    const stream = `${nats.prefix}_TURNS`;
    const subject = `${stream.toLowerCase()}.orders`;
    await from(orders(30))
      .to(jetstream<Order>({ stream, subject, partitions: 4 }), { key: (order) => order.customer })
      .run();
    const seen = new Map<string, number[]>();
    let processed = 0;
    const run = from(
      jetstream<Order>({ stream, durable: "one", subject, partitions: 4, ackWait: 500 }),
    )
      .forEach(
        async (order: Order) => {
          await sleep(1);
          processed++;
          record(seen, order);
        },
        { concurrency: 1 },
      )
      .run();
    const done = run.drain();
    await until(() => processed >= 600, 20_000);
    run.finish();
    const summary = await done;
    assert.equal(summary.deliveries!["redelivered"], 0);
    assert.equal(processed, 600);
    assertEachInOrder(seen, 30);
  });

  test("a worker that stops holding messages unacked: the next owner reads them again first, in order", async (t) => {
    const nats = await testNats(t);
    if (nats === undefined) return;
    const stream = `${nats.prefix}_TAKEOVER`;
    const subject = `${stream.toLowerCase()}.orders`;
    await from(orders(20))
      .to(jetstream<Order>({ stream, subject, partitions: 2 }), { key: (order) => order.customer })
      .run();
    const options = {
      stream,
      durable: "workers",
      subject,
      partitions: 2,
      ackWait: 600,
      retryDelay: 50,
    };
    // The first worker acks a few orders, holds a few it never finishes, then is cancelled.
    let firstCalls = 0;
    const first = from(jetstream<Order>(options))
      .map((order: Order) => (++firstCalls <= 6 ? order : new Promise<Order>(() => {})), {
        concurrency: 4,
      })
      .run();
    void first.drain().catch(() => {});
    await until(() => (first.stats().deliveries?.["received"] ?? 0) >= 10);
    await first.cancel();
    const seqs = new Map<string, number[]>();
    let processed = 0;
    const second = from(jetstream<Order>(options))
      .forEach(
        (order: Order) => {
          processed++;
          const list = seqs.get(order.customer) ?? [];
          // A message acked past the first worker's ack floor comes again: at-least-once.
          if (list.at(-1) !== order.seq) list.push(order.seq);
          seqs.set(order.customer, list);
        },
        { concurrency: 1 },
      )
      .run();
    const done = second.drain();
    await until(() => seqs.size === 20 && [...seqs.values()].every((list) => list.at(-1) === 19));
    second.finish();
    const summary = await done;
    assert.ok(summary.deliveries!["reclaimed"]! >= 4, JSON.stringify(summary.deliveries));
    for (const [customer, list] of seqs) {
      const first = list[0]!;
      assert.deepEqual(
        list,
        Array.from({ length: 20 - first }, (_, i) => first + i),
        `${customer} in order`,
      );
    }
    assert.ok(processed >= 394);
  });
});
