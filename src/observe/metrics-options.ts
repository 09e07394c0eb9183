import type { Duration } from "../internal/duration.js";
import {
  checkOptionsObject,
  durationOption,
  integerOption,
  invalid,
} from "../internal/validate.js";

/** Defaults of `run({ metrics })` and `run.onMetrics()`. */
export const metricsDefaults = Object.freeze({
  /**
   * Calls timed per stage: one in 64. A timed call reads the clock twice, and on the VMs
   * measured a clock read that is not in a tight loop costs several hundred ns: at one in 16
   * metrics cost S1 about a third of its speed, at one in 64 about a fifth (bench/).
   */
  sampleEvery: 64,
  /** `onMetrics` snapshots: one a second. */
  every: 1_000,
});

/** `run({ metrics })`: `true`, or how often to time a call. */
export interface MetricsOptions {
  /**
   * Time one call in this many per stage for the latency histograms: integer >= 1
   * (1 times every call: two clock reads and, for an async call, one more promise each).
   * Default 64.
   */
  readonly sampleEvery?: number;
}

/** The sampling rate `run({ metrics })` asks for: 0 when metrics are off. */
export function sampleEveryOption(value: unknown): number {
  if (value === undefined || value === false) return 0;
  if (value === true) return metricsDefaults.sampleEvery;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("run.metrics", "a boolean or an object such as { sampleEvery: 64 }", value);
  }
  const raw = checkOptionsObject("run.metrics", value, ["sampleEvery"]);
  return integerOption("run.metrics.sampleEvery", raw.sampleEvery, metricsDefaults.sampleEvery, 1);
}

/** `run.onMetrics(listener, { every })`: ms between snapshots, a duration > 0. */
export function everyOption(options: unknown): number {
  const raw = checkOptionsObject("run.onMetrics", options, ["every"]);
  return durationOption("run.onMetrics.every", raw.every, metricsDefaults.every);
}

/** Options of `run.onMetrics()`. */
export interface OnMetricsOptions {
  /** Ms between snapshots, or a string such as `"5s"`: > 0. Default 1,000. */
  readonly every?: Duration;
}
