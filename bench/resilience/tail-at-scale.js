/**
 * R1 — tail at scale: 10,000 GETs at a fixed concurrency of 50 against a loopback HTTP service
 * (`tail-server.js`, in its own process) that answers in 5–10 ms, or in 500–1000 ms for 2% of
 * requests, with and without `hedge`. Each variant is a sluice stage
 * `from(ids).map(get, { concurrency: 50, hedge }).forEach(record)` whose function passes
 * `ctx.signal` to `http.request`, so a hedge's loser is aborted on the wire.
 *
 * An item's latency runs from the first call's start (the first time the function is called
 * for it) to the moment the next stage receives its result: for a hedged item, from its first
 * call's start to the winner's result. The service counts the requests it receives, so "extra
 * requests" is what it saw beyond one per item, whatever the client thinks it sent.
 *
 * Run: `node bench/resilience/tail-at-scale.js` for every variant in fresh processes (a
 * table), or `node bench/resilience/tail-at-scale.js <variant> [requests]` for one run, which
 * prints one JSON line.
 * @module
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { loadSluice } from "../lib/sluice.js";

export const REQUESTS = 10_000;
export const CONCURRENCY = 50;
/** Seed of the service's PRNG: every run sees the same sequence of delays. */
const SEED = 42;
/** Share of the requests the service answers slowly. */
export const SLOW_SHARE = 0.02;
/** A fast answer takes [FAST_MS, 2 × FAST_MS) ms. */
export const FAST_MS = 5;
/** A slow answer takes [SLOW_MS, 2 × SLOW_MS) ms. */
export const SLOW_MS = 500;
/** Untimed requests to `/warm` (answered at once) that open the sockets and warm the JIT. */
const WARM_UP = 500;
/** An item slower than this was not rescued (the fast answers take 5–10 ms). */
export const SLOW_ITEM_MS = 100;

/** The variants: the `hedge` option of the stage (none for the baseline). */
export const variants = {
  none: undefined,
  p95: { after: "p95" },
  "fixed-20": { after: 20 },
};

/** Starts the service in its own process; resolves with its port and a stop() giving its counts. */
async function startServer() {
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL("tail-server.js", import.meta.url)),
      ...[SEED, SLOW_SHARE, FAST_MS, SLOW_MS].map(String),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  child.stdout.setEncoding("utf8");
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  while (!out.includes("\n")) await once(child.stdout, "data");
  const port = Number(out.split("\n")[0]);
  return {
    port,
    /** Ends the service and returns what it counted. */
    stop: async () => {
      const exited = child.exitCode === null ? once(child, "exit") : Promise.resolve();
      child.stdin.end();
      await exited;
      return JSON.parse(out.trim().split("\n").at(-1));
    },
  };
}

/** Requests to `/` the client finished writing to a socket (an abort can come before that). */
let written = 0;
const onWritten = () => written++;

/**
 * One GET over the keep-alive `agent`, resolving when the body has been read; `signal` aborts
 * it (the socket is destroyed, so the service sees the client leave).
 */
function get(agent, port, path, signal) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent, signal }, (res) => {
      res.resume();
      res.on("end", resolve);
      res.on("error", reject);
      res.on("close", () => {
        if (!res.complete) reject(signal?.reason ?? new Error("response closed early"));
      });
    });
    req.on("error", reject);
    if (path === "/") req.on("finish", onWritten);
    req.end();
  });
}

/** Nearest-rank quantile of sorted numbers. */
function pick(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))];
}

/** The latency quantiles the table shows. */
function quantiles(xs) {
  const s = Float64Array.from(xs).sort();
  return {
    p50: pick(s, 0.5),
    p90: pick(s, 0.9),
    p95: pick(s, 0.95),
    p99: pick(s, 0.99),
    p999: pick(s, 0.999),
    max: s[s.length - 1],
  };
}

/**
 * One run of `variant` over `requests` items; returns the JSON-able result.
 * @param {keyof typeof variants} variant
 * @param {number} requests
 */
export async function runTail(variant, requests) {
  const { from } = await loadSluice();
  const hedge = variants[variant];
  const server = await startServer();
  let stopped = false;
  const agent = new Agent({ keepAlive: true });
  try {
    await warmUp(from, agent, server.port, hedge);

    const start = new Float64Array(requests);
    /** When a call of the item first succeeded, inside the function. */
    const answered = new Float64Array(requests);
    /** When the next stage received the item. */
    const done = new Float64Array(requests);
    /** Calls made per item (2: hedged). */
    const calls = new Uint8Array(requests);
    const hedgeDelays = [];
    const ids = Array.from({ length: requests }, (_, i) => i);
    const t0 = performance.now();
    const run = from(ids)
      .map(
        async (id, ctx) => {
          const now = performance.now();
          if (calls[id]++ === 0) start[id] = now;
          else hedgeDelays.push(now - start[id]);
          await get(agent, server.port, "/", ctx.signal);
          if (answered[id] === 0) answered[id] = performance.now();
          return id;
        },
        { concurrency: CONCURRENCY, name: "get", ...(hedge ? { hedge } : {}) },
      )
      .forEach(
        (id) => {
          done[id] = performance.now();
        },
        { name: "record" },
      )
      .run();
    await run.drain();
    const ms = performance.now() - t0;
    const summary = await run.settled;
    const stage = summary.stages.find((s) => s.name === "get");

    const latency = Array.from(ids, (i) => done[i] - start[i]);
    const inFunction = Array.from(ids, (i) => answered[i] - start[i]);
    // Items the hedge did not rescue: still slow at the end, with or without a second call.
    let slowItems = 0;
    let slowUnhedged = 0;
    for (let i = 0; i < requests; i++) {
      if (latency[i] <= SLOW_ITEM_MS) continue;
      slowItems++;
      if (calls[i] < 2) slowUnhedged++;
    }
    agent.destroy();
    const counts = await server.stop();
    stopped = true;
    const delays = Float64Array.from(hedgeDelays).sort();
    return {
      variant,
      hedge: hedge ?? null,
      requests,
      concurrency: CONCURRENCY,
      ms,
      ...quantiles(latency),
      inFunction: quantiles(inFunction),
      received: counts.received,
      slowServed: counts.slow,
      cancelled: counts.cancelled,
      extra: (counts.received - requests) / requests,
      hedged: stage?.hedged ?? 0,
      secondCalls: hedgeDelays.length,
      written,
      hedgeDelay: delays.length
        ? { min: delays[0], p50: pick(delays, 0.5), max: delays[delays.length - 1] }
        : null,
      slowItems,
      slowUnhedged,
      failed: stage?.failed ?? 0,
      ok: summary.error === undefined && done.every((t) => t > 0),
    };
  } finally {
    // On a failure too: the service holds a pipe to us, so this process could not exit.
    agent.destroy();
    if (!stopped) await server.stop().catch(() => undefined);
  }
}

/**
 * Untimed: opens the sockets (concurrency's worth) and warms the JIT on `/warm`, which answers
 * at once and is not counted: the HTTP client alone, then through a sluice stage with the
 * variant's options (a run of its own: the measured run still learns its p95 from nothing).
 * Without the second part, the measured run's first half-second pays for compiling the stage's
 * hedged path, and event-loop stalls of ~25 ms then put its slowest items there.
 */
async function warmUp(from, agent, port, hedge) {
  let left = WARM_UP;
  const loop = async () => {
    while (left-- > 0) await get(agent, port, "/warm");
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  await from(Array.from({ length: WARM_UP * 4 }, (_, i) => i))
    .map(async (id, ctx) => get(agent, port, "/warm", ctx.signal).then(() => id), {
      concurrency: CONCURRENCY,
      ...(hedge ? { hedge } : {}),
    })
    .forEach(() => {})
    .run()
    .drain();
}

async function main() {
  const [name, requestsArg] = process.argv.slice(2);
  if (name === undefined) {
    // Every variant in fresh processes, with the table R1 gets in RESULTS.md.
    const { printResilience } = await import("./report.js");
    await printResilience("R1");
    return;
  }
  if (!(name in variants)) {
    console.error(
      `usage: node ${process.argv[1]} [<${Object.keys(variants).join("|")}> [requests]]`,
    );
    process.exitCode = 2;
    return;
  }
  const result = await runTail(name, Number(requestsArg ?? REQUESTS));
  console.log(JSON.stringify(result));
  if (!result.ok) process.exitCode = 1;
}

// Not awaited at the top level: run alone, `main` imports report.js, which imports this module,
// whose evaluation must have finished by then.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
