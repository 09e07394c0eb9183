/**
 * B1 — across processes through a real broker: 50,000 small jobs through 2 consumer
 * processes × 50 in flight, on Redis Streams and on NATS JetStream, each against BullMQ (on
 * the same Redis) and a bare client loop of its own (read, work, ack; no pipeline). A run:
 * start both consumers of one contender on a fresh stream/queue, wait until they are
 * consuming, publish the jobs (the contender's own way, timed), and stop the clock when the
 * consumers have processed them all: items/s end to end, publishing included. Contenders
 * run round-robin, each run in fresh processes; medians of the repetitions.
 * @module
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { distUrl } from "../lib/sluice.js";
import { fmtRate, fmtRatio, median } from "../lib/stats.js";
import { IN_FLIGHT } from "./settings.js";

const JOBS = 50_000;
const CONSUMERS = 2;
const consumerScript = fileURLToPath(new URL("consumer.js", import.meta.url));

/** Each contender: its engine, its label, and how it publishes `jobs` to `name`. */
const CONTENDERS = {
  "sluice-redis": {
    engine: "redis",
    label: "sluice: `.to(redisStream())` → 2 × `from(redisStream({ group }))`",
    async publish(name, jobs) {
      const { from } = await import(distUrl.href);
      const { redisStream } = await import(new URL("redis/index.js", distUrl).href);
      await from(jobs)
        .to(redisStream({ key: name }), { batch: 500, concurrency: 4 })
        .run();
    },
  },
  "bare-redis": {
    engine: "redis",
    label: "bare ioredis: pipelined XADD → 2 × (XREADGROUP 50, work, XACK)",
    async publish(name, jobs) {
      const { Redis } = await import("ioredis");
      const client = new Redis("redis://127.0.0.1:6379");
      for (let i = 0; i < jobs.length; i += 500) {
        const pipeline = client.pipeline();
        for (const job of jobs.slice(i, i + 500))
          pipeline.xadd(name, "*", "data", JSON.stringify(job));
        await pipeline.exec();
      }
      client.disconnect();
    },
  },
  bullmq: {
    engine: "redis",
    label: "BullMQ: `addBulk` → 2 × `Worker({ concurrency: 50 })`",
    async publish(name, jobs) {
      const { Queue } = await import("bullmq");
      const queue = new Queue(name, { connection: { host: "127.0.0.1", port: 6379 } });
      for (let i = 0; i < jobs.length; i += 1_000) {
        await queue.addBulk(jobs.slice(i, i + 1_000).map((data) => ({ name: "job", data })));
      }
      await queue.close();
    },
  },
  "sluice-nats": {
    engine: "nats",
    label: "sluice: `.to(jetstream())` → 2 × `from(jetstream({ durable }))`",
    async publish(name, jobs) {
      const { from } = await import(distUrl.href);
      const { jetstream } = await import(new URL("nats/index.js", distUrl).href);
      await from(jobs)
        .to(jetstream({ stream: name, subject: `${name.toLowerCase()}.jobs` }), {
          batch: 500,
          concurrency: 4,
        })
        .run();
    },
  },
  "bare-nats": {
    engine: "nats",
    label: "bare @nats-io/jetstream: publish 500 at once → 2 × (consume 50, work, ack)",
    async publish(name, jobs) {
      const { connect } = await import("@nats-io/transport-node");
      const { jetstream } = await import("@nats-io/jetstream");
      const nc = await connect({ servers: "127.0.0.1:4222" });
      const js = jetstream(nc);
      const encoder = new globalThis.TextEncoder();
      for (let i = 0; i < jobs.length; i += 500) {
        await Promise.all(
          jobs
            .slice(i, i + 500)
            .map((job) =>
              js.publish(`${name.toLowerCase()}.jobs`, encoder.encode(JSON.stringify(job))),
            ),
        );
      }
      await nc.drain();
    },
  },
};

/** Creates what a run's consumers read (a JetStream stream; Redis needs nothing up front). */
async function prepare(engine, name) {
  if (engine !== "nats") return;
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: "127.0.0.1:4222" });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects: [`${name.toLowerCase()}.jobs`] });
  await nc.close();
}

/** Deletes a run's stream, group or queue. */
async function cleanUp(engine, name) {
  if (engine === "nats") {
    const { connect } = await import("@nats-io/transport-node");
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const nc = await connect({ servers: "127.0.0.1:4222" });
    await (await jetstreamManager(nc)).streams.delete(name).catch(() => {});
    await nc.close();
    return;
  }
  const { Redis } = await import("ioredis");
  const client = new Redis("redis://127.0.0.1:6379");
  const keys = await client.keys(`*${name}*`);
  if (keys.length > 0) await client.del(...keys);
  client.disconnect();
}

/** Starts one consumer process; resolves once it says it is consuming. */
function startConsumer(contender, name, timeoutMs) {
  const child = spawn(process.execPath, [consumerScript, contender, name], {
    stdio: ["ignore", "pipe", "pipe"],
    timeout: timeoutMs,
  });
  const state = { child, processed: 0, stderr: "" };
  child.stderr.setEncoding("utf8").on("data", (chunk) => (state.stderr += chunk));
  const ready = new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop();
      for (const line of lines) {
        if (line === "ready") resolve();
        else if (line !== "") state.processed = Number(line);
      }
    });
    child.once("exit", (code) =>
      reject(
        new Error(
          `consumer exited (${code}): ${state.stderr.trim().split("\n").slice(-3).join(" | ")}`,
        ),
      ),
    );
  });
  return { state, ready };
}

/** One run of one contender: items/s end to end. */
async function runOnce(id, timeoutMs) {
  const contender = CONTENDERS[id];
  const name = `SLUICE_BENCH_${id.replace(/-/g, "_").toUpperCase()}_${process.pid}_${Date.now()}`;
  await prepare(contender.engine, name);
  const consumers = Array.from({ length: CONSUMERS }, () => startConsumer(id, name, timeoutMs));
  try {
    await Promise.all(consumers.map((c) => c.ready));
    const jobs = Array.from({ length: JOBS }, (_, i) => ({ id: i, at: i }));
    const started = performance.now();
    await contender.publish(name, jobs);
    const published = performance.now();
    const deadline = Date.now() + timeoutMs;
    while (consumers.reduce((sum, c) => sum + c.state.processed, 0) < JOBS) {
      if (Date.now() > deadline) throw new Error("timed out before every job was processed");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const ms = performance.now() - started;
    const shares = consumers.map((c) => c.state.processed);
    return { ms, publishMs: published - started, rate: (JOBS / ms) * 1_000, shares };
  } finally {
    for (const c of consumers) c.state.child.kill("SIGTERM");
    await Promise.all(
      consumers.map(
        (c) =>
          new Promise((resolve) =>
            c.state.child.exitCode !== null ? resolve() : c.state.child.once("exit", resolve),
          ),
      ),
    );
    await cleanUp(contender.engine, name).catch(() => {});
  }
}

/**
 * B1 in the benchmark run: every contender `reps` times, round-robin; a section and its
 * targets.
 * @param {{ reps: number, quick: boolean, timeoutMs: number, log: (line: string) => void }} opts
 */
export async function runBrokers(opts) {
  const ids = Object.keys(CONTENDERS);
  const results = new Map(ids.map((id) => [id, []]));
  let failures = 0;
  for (let rep = 0; rep < opts.reps; rep++) {
    const k = rep % ids.length;
    for (const id of [...ids.slice(k), ...ids.slice(0, k)]) {
      try {
        const result = await runOnce(id, opts.timeoutMs);
        results.get(id).push(result);
        opts.log(
          `[B1 ${rep + 1}/${opts.reps}] ${id.padEnd(13)} ${fmtRate(result.rate).padStart(8)} items/s  (publish ${result.publishMs.toFixed(0)} ms, total ${result.ms.toFixed(0)} ms, shares ${result.shares.join("/")})`,
        );
      } catch (error) {
        failures++;
        opts.log(`[B1 ${rep + 1}/${opts.reps}] ${id.padEnd(13)} FAIL ${error.message}`);
      }
    }
  }
  const rate = (id) =>
    results.get(id).length > 0 ? median(results.get(id).map((r) => r.rate)) : NaN;
  const rows = ids.map((id) => {
    const runs = results.get(id);
    const per = runs.map((r) => fmtRate(r.rate)).join(", ");
    return `| ${CONTENDERS[id].engine} | ${CONTENDERS[id].label} | ${Number.isFinite(rate(id)) ? fmtRate(rate(id)) : "FAILED"} | ${per} |`;
  });
  const section = [
    `## B1 — across processes through a broker: ${JOBS.toLocaleString("en-US")} jobs, ${CONSUMERS} consumer processes × ${IN_FLIGHT} in flight`,
    "",
    `Each run starts ${CONSUMERS} consumer processes of one contender on a fresh stream or queue (Redis 127.0.0.1:6379, NATS JetStream 127.0.0.1:4222, the machine's own), waits until both are consuming, then publishes ${JOBS.toLocaleString("en-US")} small jobs (\`{ id, at }\`) its own way and stops the clock when the consumers have processed them all: items/s end to end, publishing included. The work per job is the same everywhere: one turn of the event loop (\`setImmediate\`), then the ack. Medians of ${opts.reps} runs, round-robin.`,
    "",
    "| engine | contender | items/s (median) | runs |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
  const target = (label, id, vs, min) => {
    const a = rate(id);
    const b = rate(vs);
    const ratio = a / b;
    return {
      label,
      measured: Number.isFinite(ratio)
        ? `${fmtRatio(ratio)}: ${fmtRate(a)} vs ${fmtRate(b)} items/s`
        : "a contender failed",
      verdict: Number.isFinite(ratio) ? (ratio >= min ? "PASS" : "MISS") : "FAIL",
    };
  };
  return {
    section,
    failures,
    targets: [
      target("B1 Redis Streams: sluice ≥ 5× BullMQ", "sluice-redis", "bullmq", 5),
      target(
        "B1 Redis Streams: sluice ≥ 70% of the bare client loop",
        "sluice-redis",
        "bare-redis",
        0.7,
      ),
      target("B1 JetStream: sluice ≥ 1.5× BullMQ", "sluice-nats", "bullmq", 1.5),
      target("B1 JetStream: sluice ≥ 70% of the bare client loop", "sluice-nats", "bare-nats", 0.7),
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const reps = Number(process.argv[2] ?? 1);
  const r = await runBrokers({
    reps,
    quick: false,
    timeoutMs: 120_000,
    log: (line) => console.error(line),
  });
  console.log(`${r.section}\n`);
  for (const t of r.targets) console.log(`${t.label}: ${t.measured} ${t.verdict}`);
}
