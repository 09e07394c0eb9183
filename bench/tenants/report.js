/**
 * T1 (tenant fairness) in the benchmark run: each variant of `fairness.js` in fresh
 * processes, round-robin; the light tenants' p99 with and without a flooding tenant, with
 * `tenants` and with one shared queue.
 * @module
 */
import { fileURLToPath } from "node:url";
import { median } from "../lib/stats.js";
import { runVariants } from "../lib/variants.js";

const script = fileURLToPath(new URL("fairness.js", import.meta.url));
const VARIANTS = ["tenants", "tenants-flood", "shared", "shared-flood"];
const LABELS = {
  tenants: "sluice `tenants` (2 each, queue 8, shed), light tenants alone",
  "tenants-flood": "sluice `tenants`, one tenant flooding 100× the others",
  shared: "the same stage without `tenants` (one shared queue), light tenants alone",
  "shared-flood": "one shared queue, one tenant flooding 100× the others",
};
/** The most the light tenants' p99 may grow under the flood, with tenants. */
const MAX_GROWTH = 2;

/**
 * @param {{ reps: number, quick: boolean, timeoutMs: number, log: (line: string) => void }} opts
 */
export async function runTenants(opts) {
  const seconds = opts.quick ? 1 : 3;
  const { results, failures } = await runVariants(
    "T1",
    script,
    VARIANTS,
    [String(seconds)],
    opts,
    (result) => {
      if (!result.ok) throw new Error("the run did not complete");
      return `light p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  (${result.light} light jobs, ${result.floodDone} flood done, ${result.shed} shed)`;
    },
  );
  const p99 = (v) => (results.get(v).length > 0 ? median(results.get(v).map((r) => r.p99)) : NaN);
  const p50 = (v) => (results.get(v).length > 0 ? median(results.get(v).map((r) => r.p50)) : NaN);
  const rows = VARIANTS.map(
    (v) =>
      `| ${LABELS[v]} | ${p50(v).toFixed(1)} | ${p99(v).toFixed(1)} | ${results
        .get(v)
        .map((r) => r.p99.toFixed(1))
        .join(", ")} |`,
  );
  const section = [
    "## T1 — tenant fairness: 4 light tenants, one flooding 100× as much",
    "",
    `Each light tenant sends a job every 5 ms, the flooding one 100× as many; every job is a 2 ms async call, 8 at once (a fresh process per run, ${seconds} s each, medians of ${opts.reps}). Latency is a light job's time from arrival to done.`,
    "",
    "| contender | light p50 (ms) | light p99 (ms) | p99 per run |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
  const growth = p99("tenants-flood") / p99("tenants");
  const shared = p99("shared-flood") / p99("shared");
  return {
    section,
    failures,
    targets: [
      {
        label: `T1 tenants: a tenant flooding 100× the others raises their p99 ≤ ${MAX_GROWTH}×`,
        measured: Number.isFinite(growth)
          ? `${growth.toFixed(2)}×: ${p99("tenants-flood").toFixed(1)} vs ${p99("tenants").toFixed(1)} ms unloaded (one shared queue: ${shared.toFixed(1)}×, ${p99("shared-flood").toFixed(1)} ms)`
          : "a variant failed",
        verdict: Number.isFinite(growth) ? (growth <= MAX_GROWTH ? "PASS" : "MISS") : "FAIL",
      },
    ],
  };
}
