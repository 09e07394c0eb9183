import { LatencyRecorder } from "../../src/observe/latency-histogram.js";
import type { RunMetrics, StageMetrics } from "../../src/observe/run-metrics.js";
import type { DashboardRun } from "../../src/dashboard/dashboard-server.js";
import { stageStats } from "../cli/fixtures.js";

/** A stage of a {@link metricsAt} snapshot: counters, and processing times recorded so far. */
export interface FakeStage extends Partial<Omit<StageMetrics, "processingMs">> {
  readonly name: string;
  readonly processing?: LatencyRecorder;
}

/** A `RunMetrics` snapshot with round numbers; each stage's histogram from its recorder. */
export function metricsAt(
  durationMs: number,
  stages: readonly FakeStage[],
  overrides: Partial<RunMetrics> = {},
): RunMetrics {
  const empty = new LatencyRecorder().snapshot();
  return {
    at: 1_700_000_000_000 + durationMs,
    outcome: "running",
    durationMs,
    pulled: stages[0]?.in ?? 0,
    itemsPerSecond: 0,
    sampleEvery: 1,
    activeResources: 0,
    rssBytes: 0,
    heapUsedBytes: 0,
    stages: stages.map(({ processing, ...stage }) => ({
      ...stageStats({ in: 0, out: 0, failed: 0, inFlight: 0, ...stage }),
      failedBy: {},
      queueDepth: 0,
      queueMs: empty,
      ...stage,
      processingMs: processing?.snapshot() ?? empty,
    })),
    ...overrides,
  };
}

/**
 * A run for the dashboard that the test drives by hand: `tick(metrics)` is one
 * `onMetrics` interval, and the controls are recorded in `calls`. No timers.
 */
export class FakeRun implements DashboardRun {
  current: RunMetrics;
  paused = false;
  readonly calls: string[] = [];
  readonly listeners = new Set<(metrics: RunMetrics) => void>();
  /** What `setConcurrency` throws, when set. */
  refuse: Error | undefined;

  constructor(metrics: RunMetrics) {
    this.current = metrics;
  }

  metrics(): RunMetrics {
    return this.current;
  }

  onMetrics(listener: (metrics: RunMetrics) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One interval: `metrics` becomes the current snapshot and every listener hears it. */
  tick(metrics: RunMetrics): void {
    this.current = metrics;
    for (const listener of this.listeners) listener(metrics);
  }

  pause(): void {
    this.calls.push("pause");
    this.paused = true;
  }

  resume(): void {
    this.calls.push("resume");
    this.paused = false;
  }

  setConcurrency(stageName: string, concurrency: number): void {
    this.calls.push(`setConcurrency ${stageName} ${concurrency}`);
    if (this.refuse !== undefined) throw this.refuse;
    this.current = {
      ...this.current,
      stages: this.current.stages.map((s) =>
        s.name === stageName ? { ...s, limit: concurrency } : s,
      ),
    };
  }
}
