import { histogramDelta } from "../observe/latency-histogram.js";
import type { RunMetrics, StageMetrics } from "../observe/run-metrics.js";
import type { WireFrame, WireStage, WireStageFrame } from "./wire.js";

/** Stages whose width `run.setConcurrency()` may set: the ones that call a function. */
const STEERABLE_KINDS: ReadonlySet<string> = new Set([
  "map",
  "filter",
  "flatMap",
  "tap",
  "forEach",
]);

/** The fixed part of each stage, for the page's `hello`. */
export function wireStages(metrics: RunMetrics): WireStage[] {
  return metrics.stages.map((stage) => ({
    name: stage.name,
    kind: stage.kind,
    concurrency: stage.concurrency,
    steerable: STEERABLE_KINDS.has(stage.kind),
  }));
}

/**
 * One frame for the page from two metrics snapshots: counters from `current`, rates and
 * latencies over the interval since `previous` (since the start of the run without one).
 * The histograms stay on the server: a frame is a dozen numbers per stage, not 2 × 138.
 */
export function wireFrame(
  current: RunMetrics,
  previous: RunMetrics | undefined,
  paused: boolean,
): WireFrame {
  const elapsedMs = current.durationMs - (previous?.durationMs ?? 0);
  return {
    at: current.at,
    outcome: current.outcome,
    durationMs: Math.round(current.durationMs),
    paused,
    pulled: current.pulled,
    stages: current.stages.map((stage, i) => stageFrame(stage, previous?.stages[i], elapsedMs)),
  };
}

function stageFrame(
  stage: StageMetrics,
  previous: StageMetrics | undefined,
  elapsedMs: number,
): WireStageFrame {
  // Two snapshots taken in the same millisecond (the final one right after a tick) have no
  // interval to divide by: report no rate rather than Infinity.
  const perSecond = (now: number, before: number): number =>
    elapsedMs > 0 ? Math.round(((now - before) * 100_000) / elapsedMs) / 100 : 0;
  const window =
    previous === undefined
      ? stage.processingMs
      : histogramDelta(stage.processingMs, previous.processingMs);
  return {
    in: stage.in,
    out: stage.out,
    failed: stage.failed,
    inFlight: stage.inFlight,
    limit: stage.limit,
    queueDepth: stage.queueDepth,
    outPerSecond: perSecond(stage.out, previous?.out ?? 0),
    failedPerSecond: perSecond(stage.failed, previous?.failed ?? 0),
    // JSON has no NaN: an interval without timed calls sends null, which uPlot draws as a gap.
    p50Ms: window.count > 0 ? significant(window.p50Ms) : null,
    p99Ms: window.count > 0 ? significant(window.p99Ms) : null,
  };
}

/**
 * Four significant digits: the histogram's buckets are 19% wide, so more digits are noise
 * that only lengthens every frame.
 */
function significant(ms: number): number {
  return Number(ms.toPrecision(4));
}
