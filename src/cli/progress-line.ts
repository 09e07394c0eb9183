import type { LatencyHistogram, StageStats } from "../index.js";
import { formatCount, formatRate, formatSeconds } from "../internal/format.js";
import { histogramDelta } from "../observe/latency-histogram.js";
import type { StageMetrics } from "../observe/run-metrics.js";

/** One stage as the progress view reads it: its counters, and its metrics when it has them. */
export type ProgressStage = StageStats & Partial<Pick<StageMetrics, "queueDepth" | "processingMs">>;

/**
 * What the progress view reads: a `run.stats()` summary, or `run.metrics()`, which adds each
 * stage's queue depth and latencies.
 */
export interface ProgressSnapshot {
  readonly durationMs: number;
  readonly pulled: number;
  readonly stages: readonly ProgressStage[];
}
import { type Column, renderTable, truncate } from "../internal/text-table.js";

/**
 * Items per second each stage took in since `previous`, or since the start of the run when
 * there is no previous snapshot. Rates come from snapshot deltas, not per-item callbacks:
 * reading `run.stats()` is the only cost of watching a run.
 */
export function stageRates(
  current: ProgressSnapshot,
  previous: ProgressSnapshot | undefined,
): number[] {
  const elapsed = current.durationMs - (previous?.durationMs ?? 0);
  return current.stages.map((stage, i) => {
    if (elapsed <= 0) return 0;
    const before = previous?.stages[i]?.in ?? 0;
    return ((stage.in - before) * 1_000) / elapsed;
  });
}

/** Source items per second since `previous` (or since the start). */
export function sourceRate(
  current: ProgressSnapshot,
  previous: ProgressSnapshot | undefined,
): number {
  const elapsed = current.durationMs - (previous?.durationMs ?? 0);
  if (elapsed <= 0) return 0;
  return ((current.pulled - (previous?.pulled ?? 0)) * 1_000) / elapsed;
}

const BLOCK_COLUMNS: readonly Column[] = [
  { header: "stage", align: "left" },
  { header: "kind", align: "left" },
  { header: "in", align: "right" },
  { header: "out", align: "right" },
  { header: "in flight", align: "right" },
  { header: "queue", align: "right" },
  { header: "rate", align: "right" },
  { header: "p50", align: "right" },
  { header: "p99", align: "right" },
  { header: "errors", align: "right" },
];

/**
 * The multi-line progress view for a terminal: a header with elapsed time, source items
 * pulled and their rate, then one row per stage: in, out, in flight / the live width, the
 * input queue, items/s, the median and 99th percentile processing time over the rate window
 * (from metrics; `-` without samples) and failed items.
 * Every line is cut to `width` characters, because a wrapped line would break the
 * cursor-up arithmetic that redraws the block in place.
 */
export function renderProgressBlock(
  current: ProgressSnapshot,
  previous: ProgressSnapshot | undefined,
  width = Number.POSITIVE_INFINITY,
): string[] {
  const rates = stageRates(current, previous);
  const rows = current.stages.map((stage, i) => {
    const latency = windowLatency(stage, previous?.stages[i]);
    return [
      stage.name,
      stage.kind,
      formatCount(stage.in),
      formatCount(stage.out),
      inFlight(stage),
      stage.queueDepth === undefined ? "-" : formatCount(stage.queueDepth),
      formatRate(rates[i] ?? 0),
      formatLatency(latency?.p50Ms),
      formatLatency(latency?.p99Ms),
      formatCount(stage.failed),
    ];
  });
  const lines = [header(current, previous), ...renderTable(BLOCK_COLUMNS, rows).map(indent)];
  return lines.map((line) => truncate(line, width));
}

/**
 * The one-line progress view for logs and pipes:
 * `[1.0s] pulled 98,304 (98.3k/s) | fetch 98,304→98,100 64/64 98.3k/s | ...`.
 */
export function renderProgressLine(
  current: ProgressSnapshot,
  previous: ProgressSnapshot | undefined,
): string {
  const rates = stageRates(current, previous);
  const stages = current.stages.map(
    (stage, i) =>
      `${stage.name} ${formatCount(stage.in)}→${formatCount(stage.out)} ${inFlight(stage)} ${formatRate(rates[i] ?? 0)}`,
  );
  return [
    `[${formatSeconds(current.durationMs)}] pulled ${formatCount(current.pulled)} (${formatRate(sourceRate(current, previous))})`,
    ...stages,
  ].join(" | ");
}

function header(current: ProgressSnapshot, previous: ProgressSnapshot | undefined): string {
  return `running ${formatSeconds(current.durationMs)} · pulled ${formatCount(current.pulled)} · ${formatRate(sourceRate(current, previous))}`;
}

/** `inFlight/limit` (the live width); a batch stage has no function to be inside: `-`. */
function inFlight(stage: StageStats): string {
  return stage.kind === "batch" ? "-" : `${stage.inFlight}/${stage.limit}`;
}

/** The stage's processing times since the previous snapshot (or since the start). */
function windowLatency(
  stage: ProgressStage,
  previous: ProgressStage | undefined,
): LatencyHistogram | undefined {
  const now = stage.processingMs;
  if (now === undefined) return undefined;
  const before = previous?.processingMs;
  return before === undefined ? now : histogramDelta(now, before);
}

/** A latency for the table: `-` without samples; ms with 3 significant digits. */
function formatLatency(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return "-";
  if (ms < 1) return `${ms.toFixed(2)}ms`;
  return ms < 100 ? `${ms.toPrecision(3)}ms` : `${Math.round(ms)}ms`;
}

function indent(line: string): string {
  return `  ${line}`;
}
