/**
 * S9 — adaptive concurrency against a real loopback HTTP service of limited capacity: 10
 * requests at once, 10 ms each (1,000 requests/s), the rest queued FIFO in the server. A
 * sluice stage sends 3,000 requests through `http` keep-alive sockets with a static width
 * (64, far too wide; 10, the right answer given by hand) and with `aimd()` and `gradient()`,
 * which must find about 10 by themselves. Reports throughput, client p50/p99 latency and the
 * time-averaged calls in flight, and the limit over time (for the chart).
 * Run: `node bench/adaptive/http-limit.js <contender> [requests]`, which prints one JSON line.
 * @module
 */
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { loadSluice } from "../lib/sluice.js";

export const CAPACITY = 10;
export const SERVICE_MS = 10;
export const REQUESTS = 3_000;
/** The aimd() latency target: 1.6x the service time (jitter on 2 cores puts the tuned width's p99 at ~1.4x). */
const TARGET_MS = Math.round(SERVICE_MS * 1.6 + 1);

export const contenders = {
  "static-64": () => 64,
  "static-10": () => 10,
  aimd: ({ aimd }) => aimd({ min: 1, max: 200, latency: TARGET_MS }),
  gradient: ({ gradient }) => gradient({ min: 1, max: 200 }),
};

/** Starts the capacity server in its own process; resolves with its port and a stop(). */
async function startServer() {
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL("capacity-server.js", import.meta.url)),
      String(CAPACITY),
      String(SERVICE_MS),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const [data] = await once(child.stdout, "data");
  const port = Number(String(data).trim());
  return {
    port,
    stop: async () => {
      child.stdin.end();
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

function get(agent, port) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
      res.resume();
      res.on("end", resolve);
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function main() {
  const [name, requestsArg] = process.argv.slice(2);
  const make = contenders[name];
  if (!make) {
    console.error(
      `usage: node ${process.argv[1]} <${Object.keys(contenders).join("|")}> [requests]`,
    );
    process.exitCode = 2;
    return;
  }
  const requests = Number(requestsArg ?? REQUESTS);
  const lib = await loadSluice();
  const server = await startServer();
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  // Warm the sockets and the JIT, untimed.
  await Promise.all(Array.from({ length: 20 }, () => get(agent, server.port)));

  const latencies = [];
  let inFlight = 0;
  let area = 0;
  const trace = [];
  const t0 = performance.now();
  let last = t0;
  const run = lib
    .from(Array.from({ length: requests }, (_, i) => i))
    .forEach(
      async () => {
        const start = performance.now();
        inFlight++;
        await get(agent, server.port);
        inFlight--;
        latencies.push(performance.now() - start);
      },
      { concurrency: make(lib), name: "get" },
    )
    .run();
  const sampler = setInterval(() => {
    const now = performance.now();
    area += inFlight * (now - last);
    last = now;
    trace.push([Math.round(now - t0), run.stats().stages[0].limit]);
  }, 20);
  await run;
  clearInterval(sampler);
  const ms = performance.now() - t0;
  area += inFlight * (performance.now() - last);
  agent.destroy();
  await server.stop();
  latencies.sort((a, b) => a - b);
  const pick = (q) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * q) - 1)];
  console.log(
    JSON.stringify({
      contender: name,
      requests,
      ms,
      throughput: (requests / ms) * 1000,
      capacity: CAPACITY * (1000 / SERVICE_MS),
      p50: pick(0.5),
      p99: pick(0.99),
      inFlight: area / ms,
      trace,
    }),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
