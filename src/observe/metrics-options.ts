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
   * Calls timed per stage: one in 64. A timed call reads the clock twice and costs ~1 µs on
   * the VMs measured (clock reads out of a tight loop, a promise more when async); paced by
   * {@link maxSamplesPerSecond}, that stays a small share of even S1's ~100 ns calls.
   */
  sampleEvery: 64,
  /**
   * Timed calls per second per stage, at most: a stage whose calls come faster times fewer
   * than one in `sampleEvery` (10,000 a second is ample for p99s, and keeps the clock's cost
   * a small share of the work however cheap the calls are).
   */
  maxSamplesPerSecond: 10_000,
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
  /**
   * At most this many timed calls per second per stage (> 0; `Infinity`: no cap): a stage
   * calling its function faster than `sampleEvery × maxSamplesPerSecond` times a second
   * spaces its timed calls further apart (a sample is a sample of calls still, just a
   * sparser one, and cheap calls stay cheap to watch). Default 10,000. Thread stages time
   * one call in `sampleEvery` without this cap (their calls each cost a message).
   */
  readonly maxSamplesPerSecond?: number;
}

/** How `run({ metrics })` samples: both 0 when metrics are off. */
export interface Sampling {
  readonly sampleEvery: number;
  readonly maxSamplesPerSecond: number;
}

/** The sampling `run({ metrics })` asks for: `sampleEvery` 0 when metrics are off. */
export function samplingOption(value: unknown): Sampling {
  if (value === undefined || value === false) return { sampleEvery: 0, maxSamplesPerSecond: 0 };
  if (value === true) return metricsDefaults;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("run.metrics", "a boolean or an object such as { sampleEvery: 64 }", value);
  }
  const raw = checkOptionsObject("run.metrics", value, ["sampleEvery", "maxSamplesPerSecond"]);
  const sampleEvery = integerOption(
    "run.metrics.sampleEvery",
    raw.sampleEvery,
    metricsDefaults.sampleEvery,
    1,
  );
  const cap = raw.maxSamplesPerSecond ?? metricsDefaults.maxSamplesPerSecond;
  if (typeof cap !== "number" || !(cap > 0)) {
    throw invalid("run.metrics.maxSamplesPerSecond", "a number > 0 (or Infinity)", cap);
  }
  return { sampleEvery, maxSamplesPerSecond: cap };
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
