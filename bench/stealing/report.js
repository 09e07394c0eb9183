/**
 * W1 (work stealing) in the benchmark run: `mix.js` per contender in fresh processes,
 * round-robin; each item's completion time (p50, p99, max) against a single shared queue.
 * @module
 */
import { fileURLToPath } from "node:url";
import { median } from "../lib/stats.js";
import { runVariants } from "../lib/variants.js";

const script = fileURLToPath(new URL("mix.js", import.meta.url));
const CONTENDERS = ["sluice", "piscina"];
const LABELS = {
  sluice: "sluice `thread()` map (adaptive batches, idle threads steal)",
  piscina: "piscina, one task per item (a single shared queue)",
};
/** The most sluice's p99 completion may exceed the shared queue's. */
const MAX_RATIO = 1.1;

/**
 * @param {{ reps: number, quick: boolean, timeoutMs: number, log: (line: string) => void }} opts
 */
export async function runStealing(opts) {
  const { results, failures } = await runVariants("W1", script, CONTENDERS, [], opts, (result) => {
    if (!result.ok) throw new Error(`${result.items} items completed`);
    return `p50 ${result.p50.toFixed(0)} ms  p99 ${result.p99.toFixed(0)} ms  max ${result.max.toFixed(0)} ms${result.stolen === undefined ? "" : `  (${result.stolen} stolen)`}`;
  });
  const med = (name, key) =>
    results.get(name).length > 0 ? median(results.get(name).map((r) => r[key])) : NaN;
  const rows = CONTENDERS.map(
    (name) =>
      `| ${LABELS[name]} | ${med(name, "p50").toFixed(0)} | ${med(name, "p99").toFixed(0)} | ${med(name, "max").toFixed(0)} | ${results
        .get(name)
        .map((r) => r.p99.toFixed(0))
        .join(", ")} |`,
  );
  const stolen = results.get("sluice").map((r) => r.stolen);
  const section = [
    "## W1 — high-variance items on threads: 1,000 × 1 ms and 2 × 1 s, all ready at once",
    "",
    `The seeds' 10 ms / 10 s mix, 10× shorter on both sides: 1,002 items of CPU work (a spin), all queued at the start, on the benchmark's threads. A completion time is when an item finished, from the start; a single shared queue (one task per item) is the latency reference, since nothing ever waits behind a long item there. sluice sends items in batches, and an idle thread takes the positions of a batch its thread has not begun while a long call runs (stolen per run: ${stolen.join(", ")}). Medians of ${opts.reps} fresh processes.`,
    "",
    "| contender | p50 (ms) | p99 (ms) | max (ms) | p99 per run |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
  const ratio = med("sluice", "p99") / med("piscina", "p99");
  return {
    section,
    failures,
    targets: [
      {
        label: `W1 threads: p99 completion ≤ ${MAX_RATIO}× a single shared queue's (1 ms / 1 s mix)`,
        measured: Number.isFinite(ratio)
          ? `${ratio.toFixed(2)}×: ${med("sluice", "p99").toFixed(0)} vs ${med("piscina", "p99").toFixed(0)} ms`
          : "a contender failed",
        verdict: Number.isFinite(ratio) ? (ratio <= MAX_RATIO ? "PASS" : "MISS") : "FAIL",
      },
    ],
  };
}
