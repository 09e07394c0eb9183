// What the dashboard server sends its page, as JSON over the event stream. Types only: both
// the server (Node) and the page (the browser bundle) import this file, so it imports nothing.

/** A stage as the page draws it, fixed for the run. */
export interface WireStage {
  /** The stage's name (`name` option, or `<kind>#<position>`). */
  readonly name: string;
  /** The operator that built it (`map`, `batch`, …). */
  readonly kind: string;
  /** The width it was built with. */
  readonly concurrency: number;
  /** Whether `run.setConcurrency()` may apply to it: a function stage (map, filter, flatMap, tap, forEach). */
  readonly steerable: boolean;
}

/** One stage in a {@link WireFrame}: its counters now and its rates over the last interval. */
export interface WireStageFrame {
  readonly in: number;
  readonly out: number;
  readonly failed: number;
  readonly inFlight: number;
  /** The width now (`limit` in `run.metrics()`). */
  readonly limit: number;
  readonly queueDepth: number;
  /** Items per second that left the stage (`out`) over the interval, to 0.01. */
  readonly outPerSecond: number;
  /** Failed items per second over the interval, to 0.01. */
  readonly failedPerSecond: number;
  /**
   * Median processing time of the calls timed in the interval, in ms to 4 significant digits;
   * `null` without samples.
   */
  readonly p50Ms: number | null;
  /** 99th percentile of the same, in ms; `null` without samples. */
  readonly p99Ms: number | null;
}

/** The `frame` event: one snapshot of the run, sent once per interval and once at its end. */
export interface WireFrame {
  /** When it was taken (`Date.now()`). */
  readonly at: number;
  /** `"running"`, or how the run ended. */
  readonly outcome: string;
  /** Ms since the run started (or from its start to its end), rounded. */
  readonly durationMs: number;
  /** Whether the run is paused. */
  readonly paused: boolean;
  /** Items pulled from the source. */
  readonly pulled: number;
  /** One per stage, in the order of {@link WireHello.stages}. */
  readonly stages: readonly WireStageFrame[];
}

/** The `hello` event, first on every connection: the pipeline and the frames kept so far. */
export interface WireHello {
  /** The pipeline's name: the module's file name for `sluice run`. */
  readonly pipeline: string;
  /** Ms between frames. */
  readonly intervalMs: number;
  readonly stages: readonly WireStage[];
  /** The last frames (up to five minutes of them), oldest first. */
  readonly frames: readonly WireFrame[];
}

/** The body of a control request's answer: `{ error }` with status 400, else the new state. */
export interface WireControlAnswer {
  readonly error?: string;
  readonly paused?: boolean;
  readonly stage?: string;
  readonly limit?: number;
}
