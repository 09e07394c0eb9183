import type { RunOutcome, StageStats } from "../contract/summary.js";
import type { LatencyHistogram } from "./latency-histogram.js";

/**
 * One stage in a {@link RunMetrics} snapshot: its summary counters (the same numbers
 * `run.stats()` gives, so they agree exactly) plus what only metrics report.
 */
export interface StageMetrics extends StageStats {
  /** Failed items by error class (`TimeoutError`, `BrokenCircuitError`, `TypeError`, …). */
  readonly failedBy: Readonly<Record<string, number>>;
  /** Items at the stage's input that no call has taken yet. */
  readonly queueDepth: number;
  /**
   * Sampled processing time: a call of the stage's function from its start to its
   * settling, one call in `sampleEvery` (paced by `maxSamplesPerSecond`); each retry and each
   * call of a hedged attempt is a call of its own, and a call past its `timeout` is timed
   * until it settles. A thread stage's calls are timed on their thread (not paced): an item
   * sent again after its thread died is timed again, a call lost with its thread is not
   * timed, an async call past the thread `timeout` is timed up to it, and a thread `flatMap`
   * is timed including reading its values. Empty (`count` 0) with metrics off, and for
   * stages that time no calls: `batch`, `take`, `drop`, `scan`, `distinct`; an event-loop
   * `flatMap`'s work happens as its iterable is read, so it reports queue time only.
   */
  readonly processingMs: LatencyHistogram;
  /**
   * Sampled queue time: from the moment the item's chunk reached the stage's input to the
   * start of its first call; in a thread stage, to the dispatch of its batch to a thread (the
   * wait on the thread behind earlier calls is in neither histogram).
   */
  readonly queueMs: LatencyHistogram;
}

/** Event-loop delay over the run so far (`monitorEventLoopDelay`, 20 ms resolution). */
export interface EventLoopDelay {
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * A snapshot of a run for watching it: per-stage counters, queue depths, failures by class
 * and sampled latency histograms, and the process around it. Plain data (JSON-able); take
 * one with `run.metrics()`, or stream them with `run.onMetrics()`.
 */
export interface RunMetrics {
  /** When it was taken (`Date.now()`). */
  readonly at: number;
  /** How the run ended, or `"running"`. */
  readonly outcome: RunOutcome;
  /** Milliseconds from the start of the run to now, or to when it settled. */
  readonly durationMs: number;
  /** Items pulled from the source. */
  readonly pulled: number;
  /** Source items per second over `durationMs`. */
  readonly itemsPerSecond: number;
  /** Calls timed per stage: one in this many; 0 when the run records no latencies. */
  readonly sampleEvery: number;
  /** Event-loop delay while the run went; absent unless the run records metrics. */
  readonly eventLoopDelay?: EventLoopDelay;
  /** `process.getActiveResourcesInfo().length` now: handles and requests keeping the loop. */
  readonly activeResources: number;
  /** Resident set size now, in bytes. */
  readonly rssBytes: number;
  /** V8 heap in use now, in bytes. */
  readonly heapUsedBytes: number;
  /** One entry per stage, in pipeline order. */
  readonly stages: readonly StageMetrics[];
  /**
   * With an acknowledged source (a broker consumer), its deliveries and the consumer's lag:
   * the summary's `deliveries` (received, acked, nacked, in flight, and the broker's own
   * pending counts).
   */
  readonly deliveries?: Readonly<Record<string, number>>;
}
