import type { RunMetrics, StageMetrics } from "../observe/run-metrics.js";
import { type LatencyHistogram, latencyBounds } from "../observe/latency-histogram.js";

/** One sample line of a metric family, as prom-client's registry formats it. */
export interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

/** A metric family: what a prom-client metric's `get()` resolves to. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly aggregator: "sum";
  readonly values: Sample[];
}

/** A run to expose, with its `pipeline` label. */
export interface ExposedRun {
  readonly pipeline: string;
  metrics(): RunMetrics;
}

/** The counters `sluice_stage_items_total` reports, by `outcome` label. */
const OUTCOMES = [
  "in",
  "out",
  "filtered",
  "failed",
  "cancelled",
  "shed",
  "discarded",
  "abandoned",
  "retried",
  "hedged",
] as const satisfies readonly (keyof StageMetrics)[];

/**
 * Bucket bounds of the exported histograms: every 8th of sluice's own bounds (each 4× the
 * one below, 1 µs to ~4.8 h: 18 buckets), so their cumulative counts are exact sums of the
 * recorded buckets. In ms; exported in seconds.
 */
const EXPORTED = latencyBounds.flatMap((bound, i) => (i % 8 === 0 ? [i] : []));

/** Every metric family for `runs`, read now (one `run.metrics()` per run). */
export function stageFamilies(runs: Iterable<ExposedRun>): Family[] {
  const items = family(
    "sluice_stage_items_total",
    "Items per stage by outcome (in, out, filtered, failed, cancelled, shed, discarded; abandoned, retried and hedged count calls).",
    "counter",
  );
  const inFlight = family(
    "sluice_stage_in_flight",
    "Items inside the stage's function now.",
    "gauge",
  );
  const limit = family(
    "sluice_stage_limit",
    "The stage's width now (flow control may change it).",
    "gauge",
  );
  const queue = family(
    "sluice_stage_queue_depth",
    "Items at the stage's input no call has taken yet.",
    "gauge",
  );
  const duration = family(
    "sluice_stage_duration_seconds",
    "Sampled processing time of the stage's calls.",
    "histogram",
  );
  const queued = family(
    "sluice_stage_queue_seconds",
    "Sampled time from an item's arrival at the stage's input to its first call.",
    "histogram",
  );
  const deliveries = family(
    "sluice_source_deliveries",
    "An acknowledged (broker) source's deliveries by kind: received, acked, nacked, inFlight, and what the broker reports (Redis held, reclaimed, deadLettered, groupPending, groupLag; JetStream held, redelivered, deadLettered, numPending, numAckPending).",
    "gauge",
  );
  for (const run of runs) {
    const metrics = run.metrics();
    for (const [kind, value] of Object.entries(metrics.deliveries ?? {})) {
      deliveries.values.push({ value, labels: { pipeline: run.pipeline, kind } });
    }
    for (const stage of metrics.stages) {
      const labels = { pipeline: run.pipeline, stage: stage.name };
      for (const outcome of OUTCOMES) {
        items.values.push({ value: stage[outcome], labels: { ...labels, outcome } });
      }
      inFlight.values.push({ value: stage.inFlight, labels });
      limit.values.push({ value: stage.limit, labels });
      queue.values.push({ value: stage.queueDepth, labels });
      histogramSamples(duration, stage.processingMs, labels);
      histogramSamples(queued, stage.queueMs, labels);
    }
  }
  return [items, inFlight, limit, queue, duration, queued, deliveries];
}

function family(name: string, help: string, type: Family["type"]): Family {
  return { name, help, type, aggregator: "sum", values: [] };
}

/** A histogram's `_bucket` (cumulative, `le` in seconds), `_sum` and `_count` lines. */
function histogramSamples(
  target: Family,
  histogram: LatencyHistogram,
  labels: Readonly<Record<string, string>>,
): void {
  let cumulative = 0;
  let next = 0;
  for (const at of EXPORTED) {
    while (next <= at) cumulative += histogram.counts[next++] ?? 0;
    target.values.push({
      value: cumulative,
      labels: { ...labels, le: latencyBounds[at]! / 1_000 },
      metricName: `${target.name}_bucket`,
    });
  }
  target.values.push({
    value: histogram.count,
    labels: { ...labels, le: "+Inf" },
    metricName: `${target.name}_bucket`,
  });
  target.values.push({ value: histogram.sumMs / 1_000, labels, metricName: `${target.name}_sum` });
  target.values.push({ value: histogram.count, labels, metricName: `${target.name}_count` });
}
