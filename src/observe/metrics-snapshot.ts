import type { Stage } from "../contract/stage.js";
import type { RunSummary } from "../contract/summary.js";
import type { EventLoopProbe } from "./event-loop-probe.js";
import { type LatencyHistogram, LatencyRecorder } from "./latency-histogram.js";
import type { RunMetrics, StageMetrics } from "./run-metrics.js";

const kEmpty: LatencyHistogram = Object.freeze(new LatencyRecorder().snapshot());

/**
 * A run's metrics from its summary (taken at the same moment, so the counters are the
 * summary's own) and its built stages (none before it starts). Reads a few process figures;
 * nothing here runs per item.
 */
export function metricsSnapshot(
  summary: RunSummary,
  stages: readonly Stage[],
  sampleEvery: number,
  probe: EventLoopProbe | undefined,
): RunMetrics {
  const memory = process.memoryUsage();
  const metrics: { -readonly [K in keyof RunMetrics]: RunMetrics[K] } = {
    at: Date.now(),
    outcome: summary.outcome,
    durationMs: summary.durationMs,
    pulled: summary.pulled,
    itemsPerSecond: summary.itemsPerSecond,
    sampleEvery,
    activeResources: process.getActiveResourcesInfo().length,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    stages: summary.stages.map((stats, i): StageMetrics => {
      const stage = stages[i];
      const timing = stage?.timing;
      return {
        ...stats,
        failedBy: stage?.failedBy() ?? {},
        queueDepth: stage?.queueDepth ?? 0,
        processingMs: timing?.processing.snapshot() ?? kEmpty,
        queueMs: timing?.queue.snapshot() ?? kEmpty,
      };
    }),
  };
  if (probe !== undefined) metrics.eventLoopDelay = probe.read();
  if (summary.deliveries !== undefined) metrics.deliveries = summary.deliveries;
  return metrics;
}
