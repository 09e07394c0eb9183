import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { from } from "../../src/index.js";
import { jetstream } from "../../src/nats/index.js";
import { OwnNats } from "../helpers/nats-server.js";

const ITEMS = 2_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("JetStream across a server restart", () => {
  test("the server stops and starts mid-run: the run reconnects and completes, 0 lost", async (t) => {
    const server = await OwnNats.start();
    t.after(() => server.dispose());
    const stream = "JOBS";
    await from(Array.from({ length: ITEMS }, (_, id) => ({ id })))
      .to(jetstream({ servers: server.server, stream, subject: "jobs.new" }), { batch: 200 })
      .run();
    const seen = new Set<number>();
    const run = from(
      jetstream<{ id: number }>({
        servers: server.server,
        stream,
        durable: "g",
        ackWait: 1_000,
        retryDelay: 100,
      }),
    )
      .map(
        async (job) => {
          await sleep(2);
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
    // Acks lost with the connection come back as redeliveries: wait for the consumer to drain.
    const nc = await connect({ servers: server.server });
    t.after(() => nc.close());
    const manager = await jetstreamManager(nc);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const info = await manager.consumers.info(stream, "g");
      if (info.num_pending === 0 && info.num_ack_pending === 0) break;
      if (Date.now() > deadline) {
        assert.fail(`still pending: ${info.num_pending}, unacked: ${info.num_ack_pending}`);
      }
      // A second run takes whatever the first could not ack while the server was down.
      const again = from(jetstream({ servers: server.server, stream, durable: "g" }))
        .forEach(() => {})
        .run();
      const drained = again.drain();
      await sleep(500);
      again.finish();
      await drained;
    }
  });
});
