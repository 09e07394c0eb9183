/**
 * R1 (tail at scale) and R2 (retry storm) in the benchmark run: runs each variant of
 * `tail-at-scale.js` and `retry-storm.js` in fresh processes, round-robin, takes medians and
 * checks the targets.
 * @module
 */
import { fileURLToPath } from "node:url";
import { fmtPct, fmtRate, fmtRatio, median } from "../lib/stats.js";
import { runVariants } from "../lib/variants.js";
import {
  ATTEMPTS,
  BACKOFF_MS,
  BUDGET,
  RATE,
  SECONDS,
  outageOf,
  variants as stormVariants,
} from "./retry-storm.js";
import {
  CONCURRENCY,
  FAST_MS,
  REQUESTS,
  SLOW_ITEM_MS,
  SLOW_MS,
  SLOW_SHARE,
  variants as tailVariants,
} from "./tail-at-scale.js";

const script = (file) => fileURLToPath(new URL(file, import.meta.url));

const TAIL_LABELS = {
  none: "no hedge",
  p95: '`hedge: { after: "p95" }`',
  "fixed-20": "`hedge: { after: 20 }` (reference)",
};
const STORM_LABELS = {
  budget: `\`retry: { attempts: ${ATTEMPTS}, backoff: ${BACKOFF_MS}, budget: ${BUDGET} }\``,
  "no-budget": `\`retry: { attempts: ${ATTEMPTS}, backoff: ${BACKOFF_MS} }\` (no budget)`,
};

/** How much lower p99.9 must be with `after: "p95"`, and the most extra requests it may send. */
const TAIL_GAIN = 10;
const TAIL_EXTRA = 0.05;
/** The most attempts per first attempt over the outage with the budget. */
const STORM_MAX = 1 + BUDGET;

const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const count = (x) => (Number.isFinite(x) ? fmtRate(x) : "–");
const values = (rs, pick) => rs.map(pick).map((v) => (Number.isFinite(v) ? v.toFixed(1) : "–"));

/** R1: the section and its targets. */
async function tailAtScale(opts) {
  const requests = opts.quick ? 2_000 : REQUESTS;
  const names = Object.keys(tailVariants);
  const { results, failures } = await runVariants(
    "R1",
    script("tail-at-scale.js"),
    names,
    [String(requests)],
    opts,
    (r) =>
      `p50 ${ms(r.p50).padStart(5)}  p99 ${ms(r.p99).padStart(6)}  p99.9 ${ms(r.p999).padStart(6)} ms  extra ${fmtPct(r.extra).padStart(5)}  hedged ${r.hedged}`,
  );
  const stat = (name) => {
    const s = medianOf(results.get(name), [
      "p50",
      "p99",
      "p999",
      "max",
      "extra",
      "received",
      "hedged",
      "written",
      "cancelled",
      "slowItems",
      "slowUnhedged",
      "ms",
    ]);
    return s && { ...s, seconds: s.ms / 1000 };
  };
  const stats = Object.fromEntries(names.map((n) => [n, stat(n)]));
  const rows = names.map((n) => {
    const s = stats[n];
    if (!s) return `| ${TAIL_LABELS[n]} | FAILED | | | | | | | | |`;
    return `| ${TAIL_LABELS[n]} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.p999)} | ${ms(s.max)} | ${fmtPct(s.extra)} (${count(s.received)}) | ${count(s.hedged)} | ${count(s.cancelled)} | ${count(s.slowItems)} (${count(s.slowUnhedged)}) | ${s.seconds.toFixed(2)} |`;
  });
  const perRun = names
    .filter((n) => stats[n])
    .map(
      (n) =>
        `${TAIL_LABELS[n]}: p99.9 = ${values(stats[n].runs, (r) => r.p999).join(", ")} ms; hedge delay p50 = ${values(stats[n].runs, (r) => r.hedgeDelay?.p50).join(", ")} ms (one value per run)`,
    );
  const section = [
    `## R1 — tail at scale: hedged requests against a loopback HTTP service with a slow ${SLOW_SHARE * 100}%`,
    "",
    `${requests.toLocaleString("en-US")} GETs per run at concurrency ${CONCURRENCY} over keep-alive \`http\` sockets; the service runs in its own process and answers in ${FAST_MS}–${2 * FAST_MS} ms, or ${SLOW_MS}–${2 * SLOW_MS} ms for ${SLOW_SHARE * 100}% of the requests it receives (a seeded PRNG, drawn per request, hedges included). The function passes \`ctx.signal\` to \`http.request\`, so a hedge's loser is aborted. Latency: from an item's first call to the next stage receiving it. Extra requests: what the service received beyond one per item. Medians of ${opts.reps} runs.`,
    "",
    `| stage | p50 ms | p99 ms | p99.9 ms | max ms | extra requests (received) | hedged (stage stats) | aborted at the service | items > ${SLOW_ITEM_MS} ms (of them not hedged) | run s |`,
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    ...perRun,
  ].join("\n");

  const base = stats.none;
  const hedged = stats.p95;
  const targets = [];
  if (!base || !hedged) {
    targets.push({
      label: `R1 hedge p95: p99.9 ≥ ${TAIL_GAIN}× lower at ≤ ${TAIL_EXTRA * 100}% extra requests`,
      measured: `${base ? "" : "no hedge "}${hedged ? "" : 'after: "p95" '}failed`,
      verdict: "FAIL",
    });
  } else {
    const gain = base.p999 / hedged.p999;
    targets.push({
      label: `R1 \`hedge: { after: "p95" }\`: p99.9 ≥ ${TAIL_GAIN}× lower than without`,
      measured: `${fmtRatio(gain)}: ${ms(hedged.p999)} ms vs ${ms(base.p999)} ms (p99 ${ms(hedged.p99)} vs ${ms(base.p99)}, p50 ${ms(hedged.p50)} vs ${ms(base.p50)})`,
      verdict: gain >= TAIL_GAIN ? "PASS" : "MISS",
    });
    targets.push({
      label: `R1 \`hedge: { after: "p95" }\`: ≤ ${TAIL_EXTRA * 100}% extra requests`,
      measured: `${fmtPct(hedged.extra)}: the service received ${count(hedged.received)} for ${count(requests)} items; ${count(hedged.hedged)} hedges by the stage's stats`,
      verdict: hedged.extra <= TAIL_EXTRA ? "PASS" : "MISS",
    });
  }
  return { section, targets, failures };
}

/**
 * One variant's runs with the median of each of `fields` across them; `undefined` when no
 * run succeeded.
 * @param {Record<string, number>[]} runs
 * @param {string[]} fields
 */
function medianOf(runs, fields) {
  if (runs.length === 0) return undefined;
  return { runs, ...Object.fromEntries(fields.map((f) => [f, median(runs.map((r) => r[f]))])) };
}

/** R2: the section and its targets. */
async function retryStorm(opts) {
  const seconds = opts.quick ? 4 : SECONDS;
  const outage = outageOf(seconds);
  const names = Object.keys(stormVariants);
  const { results, failures } = await runVariants(
    "R2",
    script("retry-storm.js"),
    names,
    [String(seconds)],
    opts,
    (r) =>
      `outage: ${fmtRate(r.first)} first attempts, ${fmtRate(r.total)} in all = ${fmtRatio(r.ratio)}  (after its 1st second ${fmtRatio(r.laterRatio)})`,
  );
  const stat = (name) =>
    medianOf(results.get(name), [
      "first",
      "total",
      "ratio",
      "laterRatio",
      "retried",
      "failed",
      "out",
    ]);
  const stats = Object.fromEntries(names.map((n) => [n, stat(n)]));
  const rows = names.map((n) => {
    const s = stats[n];
    if (!s) return `| ${STORM_LABELS[n]} | FAILED | | | | | |`;
    return `| ${STORM_LABELS[n]} | ${count(s.first)} | ${count(s.total)} | ${fmtRatio(s.ratio)} | ${fmtRatio(s.laterRatio)} | ${count(s.retried)} | ${count(s.failed)} |`;
  });
  const perRun = names
    .filter((n) => stats[n])
    .map(
      (n) =>
        `${STORM_LABELS[n]}: attempts per second = ${stats[n].runs[0].perSecond.map(count).join(", ")} (first run); ratio over the outage = ${stats[n].runs.map((r) => r.ratio.toFixed(3)).join(", ")} (one value per run)`,
    );
  const section = [
    `## R2 — retry storm: a dependency that fails every call for ${(outage.to - outage.from) / 1000} s`,
    "",
    `${fmtRate(RATE)} items a second arrive for ${seconds} s (an async source keeping to the clock) at a stage (concurrency 64, \`onError: "skip"\`) calling an in-process async function (~1 ms) that fails every call started from t = ${outage.from / 1000} s to t = ${outage.to / 1000} s. Attempts are counted by the time they start. The budget's window is 10 s, so at the outage's start it holds the healthy second's first attempts too: the retries they earned are spent then (the "after its first second" column leaves that second out). Medians of ${opts.reps} runs.`,
    "",
    "| stage | first attempts in the outage | attempts in the outage | attempts ÷ first | same, after the outage's first second | retried (stage stats, whole run) | items skipped |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    ...perRun,
  ].join("\n");

  const withBudget = stats.budget;
  const without = stats["no-budget"];
  const label = `R2 \`retry: { budget: ${BUDGET} }\`: attempts ≤ ${STORM_MAX}× first attempts over the outage`;
  const targets = [];
  if (!withBudget) {
    targets.push({ label, measured: "budget variant failed", verdict: "FAIL" });
  } else {
    targets.push({
      label,
      measured: `${fmtRatio(withBudget.ratio)} (${count(withBudget.total)} attempts for ${count(withBudget.first)} first; ${fmtRatio(withBudget.laterRatio)} after the outage's first second); without a budget ${without ? `${fmtRatio(without.ratio)} (${count(without.total)} for ${count(without.first)})` : "not measured"}`,
      verdict: withBudget.ratio <= STORM_MAX ? "PASS" : "MISS",
    });
  }
  return { section, targets, failures };
}

/**
 * Runs R1 and R2 (or those in `only`): `reps` runs of each variant (`quick`: smaller runs).
 * @param {{ reps: number, quick: boolean, timeoutMs: number, log: (line: string) => void, only?: string[] }} opts
 * @returns {Promise<{ sections: string[], targets: { label: string, measured: string, verdict: string }[], failures: number }>}
 */
export async function runResilience(opts) {
  const only = opts.only ?? ["R1", "R2"];
  const parts = [];
  if (only.includes("R1")) parts.push(await tailAtScale(opts));
  if (only.includes("R2")) parts.push(await retryStorm(opts));
  return {
    sections: parts.map((p) => p.section),
    targets: parts.flatMap((p) => p.targets),
    failures: parts.reduce((n, p) => n + p.failures, 0),
  };
}

/**
 * A resilience scenario's file run alone with no variant: `id` (`"R1"` or `"R2"`) in fresh
 * processes, `REPS` runs of each variant (default 1), printing its table and targets; the
 * exit code says whether every target was met.
 * @param {"R1" | "R2"} id
 */
export async function printResilience(id) {
  const r = await runResilience({
    reps: Number(process.env.REPS ?? 1),
    quick: false,
    timeoutMs: 120_000,
    log: (line) => console.error(line),
    only: [id],
  });
  console.log(
    `${r.sections.join("\n\n")}\n\n${r.targets.map((t) => `${t.verdict}  ${t.label}: ${t.measured}`).join("\n")}`,
  );
  process.exitCode = r.failures ? 1 : 0;
}
