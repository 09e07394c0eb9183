/**
 * R2 — retry storm: items arrive steadily (2,000 a second for 8 s, from an async source that
 * keeps to the clock) at a stage that calls a dependency (an in-process async function taking
 * about 1 ms) that fails every call from t = 1 s to t = 6 s. The stage retries
 * `{ attempts: 5, backoff: 10 }` with and without `budget: 0.1`, and skips what fails for good
 * (`onError: "skip"`). Over the outage it counts the first attempts (`ctx.attempt === 1`) and
 * all attempts that started in it: without a budget every failing item makes 5 attempts; the
 * budget should hold retries to a tenth of the first attempts (plus its 10 per 10 s window).
 *
 * Run: `node bench/resilience/retry-storm.js` for both variants in fresh processes (a table),
 * or `node bench/resilience/retry-storm.js <variant> [seconds]` for one run, which prints one
 * JSON line. `seconds` scales the timeline (8: arrivals for 8 s, the outage from 1 s to 6 s).
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { loadSluice } from "../lib/sluice.js";

/** Items arriving per second. */
export const RATE = 2_000;
/** Seconds of arrivals. */
export const SECONDS = 8;
/** The outage, in ms from the first arrival, for {@link SECONDS} = 8: [1 s, 6 s). */
export const outageOf = (seconds) =>
  seconds >= 8 ? { from: 1_000, to: 6_000 } : { from: 1_000, to: (seconds - 1) * 1_000 };
export const ATTEMPTS = 5;
export const BACKOFF_MS = 10;
export const BUDGET = 0.1;
const CONCURRENCY = 64;

/** The variants: the stage's `retry` option. */
export const variants = {
  budget: { attempts: ATTEMPTS, backoff: BACKOFF_MS, budget: BUDGET },
  "no-budget": { attempts: ATTEMPTS, backoff: BACKOFF_MS },
};

/**
 * `RATE` items a second for `ms`, as the clock allows: each turn it yields the items that are
 * due by now, then waits 5 ms, so arrivals do not depend on how fast the stage takes them
 * (its input buffer is the only queue).
 */
async function* arrivals(t0, ms) {
  const total = Math.round((RATE * ms) / 1000);
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * RATE) / 1000));
    while (sent < due) yield sent++;
    await sleep(5);
  }
}

/**
 * One run of `variant` over a `seconds`-long timeline; returns the JSON-able result.
 * @param {keyof typeof variants} variant
 * @param {number} seconds
 */
export async function runStorm(variant, seconds) {
  const { from } = await loadSluice();
  const outage = outageOf(seconds);
  const durationMs = seconds * 1_000;
  // Attempts by the time they started: first attempts and all attempts, per 100 ms.
  const slots = Math.ceil(durationMs / 100) + 20;
  const firsts = new Uint32Array(slots);
  const attempts = new Uint32Array(slots);
  let t0 = 0;
  const dependency = async (x, ctx) => {
    const t = performance.now() - t0;
    const slot = Math.min(slots - 1, Math.floor(t / 100));
    attempts[slot]++;
    if (ctx.attempt === 1) firsts[slot]++;
    await sleep(1);
    if (t >= outage.from && t < outage.to) throw new Error("dependency unavailable (outage)");
    return x;
  };
  let out = 0;
  t0 = performance.now();
  const run = from(arrivals(t0, durationMs))
    .map(dependency, {
      concurrency: CONCURRENCY,
      name: "call",
      retry: variants[variant],
      onError: "skip",
    })
    .forEach(
      () => {
        out++;
      },
      { name: "count" },
    )
    .run();
  await run.drain();
  const ms = performance.now() - t0;
  const summary = await run.settled;
  const stage = summary.stages.find((s) => s.name === "call");

  const sum = (xs, fromMs, toMs) => {
    let s = 0;
    for (let i = Math.floor(fromMs / 100); i < Math.ceil(toMs / 100); i++) s += xs[i];
    return s;
  };
  const inOutage = {
    first: sum(firsts, outage.from, outage.to),
    total: sum(attempts, outage.from, outage.to),
  };
  // The outage without its first second: the retries earned before it (the budget's window
  // holds the healthy traffic's first attempts too) are spent at its start.
  const later = {
    first: sum(firsts, outage.from + 1_000, outage.to),
    total: sum(attempts, outage.from + 1_000, outage.to),
  };
  const items = Math.round((RATE * durationMs) / 1000);
  return {
    variant,
    retry: variants[variant],
    rate: RATE,
    seconds,
    outage,
    ms,
    items,
    out,
    first: inOutage.first,
    total: inOutage.total,
    ratio: inOutage.total / inOutage.first,
    laterFirst: later.first,
    laterTotal: later.total,
    laterRatio: later.total / later.first,
    allFirst: sum(firsts, 0, slots * 100),
    allAttempts: sum(attempts, 0, slots * 100),
    retried: stage?.retried ?? 0,
    failed: stage?.failed ?? 0,
    // Attempts per second over the timeline, for the report.
    perSecond: Array.from({ length: Math.ceil(ms / 1000) }, (_, s) =>
      sum(attempts, s * 1000, (s + 1) * 1000),
    ),
    ok: summary.error === undefined && (stage?.in ?? 0) === items,
  };
}

async function main() {
  const [name, secondsArg] = process.argv.slice(2);
  if (name === undefined) {
    // Both variants in fresh processes, with the table R2 gets in RESULTS.md.
    const { printResilience } = await import("./report.js");
    await printResilience("R2");
    return;
  }
  if (!(name in variants)) {
    console.error(
      `usage: node ${process.argv[1]} [<${Object.keys(variants).join("|")}> [seconds]]`,
    );
    process.exitCode = 2;
    return;
  }
  const result = await runStorm(name, Number(secondsArg ?? SECONDS));
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
