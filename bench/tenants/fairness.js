/**
 * One run of T1 (tenant fairness): `node bench/tenants/fairness.js <variant> <seconds>`.
 * Four light tenants send a job every 5 ms each; in the `*-flood` variants one tenant sends
 * 100× as many. Every job is a 2 ms async call, 8 at once. Prints JSON: the light jobs' p50,
 * p99 (ms from arrival to done) and counts. Variants: `tenants` (sluice with `tenants: {
 * concurrency: 2, queue: 8, overflow: "shed" }`), `tenants-flood`, `shared-flood` (the same
 * stage without tenants: one shared queue), `shared`.
 * @module
 */
import { loadSluice } from "../lib/sluice.js";

const [variant = "tenants", secondsArg = "3"] = process.argv.slice(2);
const SECONDS = Number(secondsArg);
const LIGHT = 4;
const FLOOD_FACTOR = 100;
const CALL_MS = 2;
const EVERY_MS = 5;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const { from } = await loadSluice();
const flood = variant.endsWith("-flood");
const withTenants = variant.startsWith("tenants");

const latencies = [];
let shed = 0;
let floodDone = 0;
const end = performance.now() + SECONDS * 1_000;
async function* arrivals() {
  let n = 0;
  while (performance.now() < end) {
    for (let t = 0; t < LIGHT; t++) yield { tenant: `light${t}`, n: n++, at: performance.now() };
    if (flood) {
      for (let i = 0; i < LIGHT * FLOOD_FACTOR; i++) yield { tenant: "flood", n: n++, at: 0 };
    }
    await sleep(EVERY_MS);
  }
}
const summary = await from(arrivals)
  .forEach(
    async (job) => {
      await sleep(CALL_MS);
      if (job.tenant === "flood") floodDone++;
      else latencies.push(performance.now() - job.at);
    },
    {
      concurrency: 8,
      ...(withTenants
        ? {
            tenants: { key: (job) => job.tenant, concurrency: 2, queue: 8, overflow: "shed" },
            onShed: () => shed++,
          }
        : {}),
    },
  )
  .run();
latencies.sort((a, b) => a - b);
const at = (q) =>
  latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
process.stdout.write(
  `${JSON.stringify({
    variant,
    ok: summary.outcome === "completed",
    light: latencies.length,
    p50: at(0.5),
    p99: at(0.99),
    floodDone,
    shed,
  })}\n`,
);
