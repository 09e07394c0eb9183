import type { ShedStrategy } from "../channel/chunk-channel.js";
import type { StageTiming } from "../observe/stage-timing.js";
import type { StageStats, TeeStats } from "./summary.js";

/**
 * Where a stage takes its items from: the previous stage's output, or the source. Chunks
 * stay counted against the upstream's capacity until released, so the upstream's bound
 * covers items a stage has taken but not yet started.
 */
export interface StageInput<T> {
  /** The next chunk if one is ready now; `undefined` otherwise. */
  takeChunk(): T[] | undefined;
  /** Frees room upstream for `n` taken items. */
  release(n: number): void;
  /** Calls `callback` once when a chunk may be ready or the input ended. */
  onData(callback: () => void): void;
  /** Whether a chunk is ready to take now. */
  readonly ready: boolean;
  /** Whether no chunk will ever come again. */
  readonly drained: boolean;
  /** Drops what is queued when the run stops; returns how many items were dropped. */
  discard(): number;
  /**
   * Makes the input drop items instead of holding its producer back when full (a stage's
   * `shed` option). Absent on inputs read on demand (a sync source), which never fill.
   */
  shedWhenFull?(strategy: ShedStrategy, onShed: (item: T) => void): void;
  /** Items dropped by shedding so far. */
  readonly shed?: number;
  /** Items held now, taken ones included (absent on an input read on demand). */
  readonly depth?: number;
  /** Most items it holds (absent on an input read on demand). */
  readonly capacity?: number;
  /**
   * Makes the input note when each chunk arrives (`performance.now()`), for queue times
   * (`run({ metrics })`). Absent on an input read on demand: its items arrive when taken.
   */
  stampArrivals?(): void;
  /**
   * When the chunk last taken arrived (`performance.now()`); 0 when it was not stamped
   * (stamping may skip chunks).
   */
  readonly arrival?: number;
}

/**
 * The lifecycle every stage kind implements and the run drives: `start()`, its `output`,
 * `stop()`, `done`, `stats()`. A run builds its stages in order, each reading the one before,
 * starts them, stops them when it ends early, and settles once every `done` has resolved.
 */
export interface Stage {
  /** The stage's name, as summaries and errors show it. */
  readonly name: string;
  /** What the next stage (or the run's consumer) reads. */
  readonly output: StageInput<unknown>;
  /** Starts taking items from the input. */
  start(): void;
  /**
   * Stops taking items: in-flight calls see their `ctx.signal` abort, and the output closes
   * once what is in flight has settled (or been abandoned). Idempotent.
   */
  stop(reason: unknown): void;
  /** Resolves once the stage has finished and closed its output; never rejects. */
  readonly done: Promise<void>;
  /** Counts what is left at the stage's input as discarded; called once, at settle. */
  collectLeftovers(): void;
  /** A snapshot of the counters. */
  stats(): StageStats;
  /** Failed items by error class (see `errorClassOf`), as `run.metrics()` reports them. */
  failedBy(): Record<string, number>;
  /** Items at the stage's input that no call has taken yet. */
  readonly queueDepth: number;
  /** Sampled processing and queue times, when the run records metrics. */
  readonly timing?: StageTiming | undefined;
  /** A route's branches, each with its own run; absent on other stages. */
  branches?(): TeeStats[];
  /** The live width of a function stage (flow control sets it); absent on other stages. */
  readonly gate?: StageGate;
}

/** What flow control may change of a function stage while its run goes. */
export interface StageGate {
  /** The width flow control set last (what `run.stats()` reports as `limit`). */
  readonly target: number;
  /** Sets the width: an integer >= 1, checked by the caller. */
  setLimit(limit: number): void;
  /** Pauses (no new item starts; in-flight ones finish) or resumes. */
  setPaused(paused: boolean): void;
  /** Whether an adaptive limiter sets the width (then `setConcurrency` may not). */
  readonly adaptive?: boolean;
}
