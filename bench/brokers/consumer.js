/**
 * One consumer process of the broker benchmark (B1):
 * `node bench/brokers/consumer.js <contender> <name>` where contender is one of
 * `sluice-redis`, `bare-redis`, `bullmq`, `sluice-nats`, `bare-nats`, and name is the stream,
 * group or queue of this run. It takes jobs 50 at a time in flight, does the same small
 * async work on each (`await work(job)`: one turn of the event loop), acks it, and prints
 * `ready` once it is consuming, then its processed count every 20 ms while it changes. It
 * stops on SIGTERM.
 * @module
 */
import { distUrl, loadSluice } from "../lib/sluice.js";

import { IN_FLIGHT } from "./settings.js";
const REDIS_URL = "redis://127.0.0.1:6379";
const NATS_SERVERS = "127.0.0.1:4222";

/** The work per job: one turn of the event loop, as a small I/O call would take. */
const work = (job) => new Promise((resolve) => setImmediate(resolve, job));

let processed = 0;
let reported = -1;
const reporter = setInterval(() => {
  if (processed === reported) return;
  reported = processed;
  process.stdout.write(`${processed}\n`);
}, 20);
const ready = () => process.stdout.write("ready\n");

/** The sluice worker of both engines: the source's jobs, worked 50 at once, counted. */
async function sluiceWorker(source) {
  const { from } = await loadSluice();
  const run = from(source)
    .map(work, { concurrency: IN_FLIGHT })
    .forEach(() => {
      processed++;
    })
    .run();
  const done = run.drain();
  ready();
  return async () => {
    run.finish();
    await done;
  };
}

const [contender, name] = process.argv.slice(2);
const consumers = {
  async "sluice-redis"() {
    const { redisStream } = await import(new URL("redis/index.js", distUrl));
    return sluiceWorker(redisStream({ key: name, group: "bench", block: 100 }));
  },
  async "sluice-nats"() {
    const { jetstream } = await import(new URL("nats/index.js", distUrl));
    return sluiceWorker(jetstream({ stream: name, durable: "bench" }));
  },
  /** Bare ioredis: read 50, work on them at once, XACK them together; again. */
  async "bare-redis"() {
    const { Redis } = await import("ioredis");
    const client = new Redis(REDIS_URL);
    const reader = new Redis(REDIS_URL);
    await client.call("XGROUP", "CREATE", name, "bench", "0", "MKSTREAM").catch((error) => {
      if (!String(error.message).startsWith("BUSYGROUP")) throw error;
    });
    const consumer = `bare-${process.pid}`;
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const reply = await reader
          .call(
            "XREADGROUP",
            "GROUP",
            "bench",
            consumer,
            "COUNT",
            IN_FLIGHT,
            "BLOCK",
            100,
            "STREAMS",
            name,
            ">",
          )
          .catch(() => null);
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        await Promise.all(entries.map(([, fields]) => work(JSON.parse(fields[1]))));
        await client.call("XACK", name, "bench", ...entries.map(([id]) => id));
        processed += entries.length;
      }
    })();
    ready();
    return async () => {
      stopped = true;
      reader.disconnect();
      await loop;
      client.disconnect();
    };
  },
  /** Bare @nats-io/jetstream: consume 50 at a time, ack each as its work ends. */
  async "bare-nats"() {
    const { connect } = await import("@nats-io/transport-node");
    const { jetstream, jetstreamManager, AckPolicy } = await import("@nats-io/jetstream");
    const nc = await connect({ servers: NATS_SERVERS });
    const jsm = await jetstreamManager(nc);
    await jsm.consumers
      .add(name, { durable_name: "bench", ack_policy: AckPolicy.Explicit })
      .catch(() => {});
    const consumer = await jetstream(nc).consumers.get(name, "bench");
    const messages = await consumer.consume({ max_messages: IN_FLIGHT });
    let inFlight = 0;
    let wake;
    const loop = (async () => {
      for await (const message of messages) {
        while (inFlight >= IN_FLIGHT) await new Promise((resolve) => (wake = resolve));
        inFlight++;
        void work(message.json()).then(() => {
          message.ack();
          processed++;
          inFlight--;
          wake?.();
        });
      }
    })();
    ready();
    return async () => {
      await messages.close();
      await loop;
      await nc.drain();
    };
  },
  /** BullMQ: a Worker with concurrency 50 on the queue. */
  async bullmq() {
    const { Worker } = await import("bullmq");
    const worker = new Worker(
      name,
      async (job) => {
        await work(job.data);
        processed++;
      },
      { connection: { host: "127.0.0.1", port: 6379 }, concurrency: IN_FLIGHT },
    );
    await worker.waitUntilReady();
    ready();
    return async () => {
      await worker.close();
    };
  },
};

const start = consumers[contender];
if (start === undefined) {
  console.error(`usage: node consumer.js <${Object.keys(consumers).join("|")}> <name>`);
  process.exit(2);
}
const stop = await start();
process.once("SIGTERM", async () => {
  await stop();
  clearInterval(reporter);
  process.stdout.write(`${processed}\n`);
  process.exit(0);
});
