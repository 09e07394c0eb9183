/** A value or a promise of it: stage functions may be sync or async. */
export type MaybePromise<T> = T | PromiseLike<T>;

/**
 * What a stage function receives beside its item. One object per slot, updated before each
 * call: read it during the call (or copy what you need), not after the call settles.
 */
export interface StageContext<R = unknown> {
  /**
   * This call's own signal: aborted when the run is cancelled or fails, or when the stage
   * stops early (a `take` downstream has what it needs). Pass it to fetch, timers, queries.
   * Made the first time it is read, so a function that never reads it pays nothing, and
   * dropped when the call settles, so listeners a call leaves on it never pile up.
   */
  readonly signal: AbortSignal;
  /** The item's position in the stage's input, from 0. */
  readonly index: number;
  /** The stage's name. */
  readonly stage: string;
  /** Which of the stage's slots runs the call, from 0 to the largest width set minus 1. */
  readonly slot: number;
  /**
   * The same as `slot`.
   * @deprecated Use `slot`: "worker" will name a worker thread. Kept for one release.
   */
  readonly worker: number;
  /**
   * The attempt number, from 1: a stage with `retry` runs a failed item again, and the
   * function can tell the retries (`ctx.attempt > 1`) from the first call. Always 1 without.
   */
  readonly attempt: number;
  /**
   * The slot's own resource, made by the stage's `resources` option (a connection, a client)
   * before the slot's first call and kept for all its calls; `undefined` without the option.
   */
  readonly resource: R;
}

/** One failed attempt of an item, as a dead letter reports it. */
export interface AttemptFailure {
  /** The attempt number, from 1. */
  readonly attempt: number;
  /** What the attempt threw or rejected with (a `TimeoutError` when it timed out). */
  readonly error: unknown;
  /** When the attempt failed: `Date.now()` at the failure (the stage's clock, when it has one). */
  readonly at: number;
}

/** What a dead-letter callback receives beside the item and its last error. */
export interface DeadLetterContext extends StageContext {
  /**
   * Every failed attempt of the item, in order; the last one's error is the `error` argument.
   * One entry without `retry`.
   */
  readonly history: readonly AttemptFailure[];
}

/** A stage function: `fn(item, ctx)`, sync or async. A sync throw is handled like a rejection. */
export type StageFn<I, O, R = unknown> = (item: I, ctx: StageContext<R>) => MaybePromise<O>;

/** The outcome of one item in a stage with `onError: "collect"`. */
export type Result<O, I> = Success<O> | Failure<I>;

/** An item that went through the function. */
export interface Success<O> {
  readonly ok: true;
  readonly value: O;
}

/** An item whose function threw or rejected, with what it threw. */
export interface Failure<I> {
  readonly ok: false;
  readonly error: unknown;
  readonly item: I;
}

/** What a stage does when its function throws or rejects. */
export type ErrorPolicy = "fail" | "skip" | "collect";

/** Called with each item a `"skip"` stage drops; a throw here fails the run. */
export type DeadLetter<I> = (item: I, error: unknown, ctx: DeadLetterContext) => MaybePromise<void>;

/** What `from()` accepts. */
export type Source<T> =
  Iterable<T> | AsyncIterable<T> | ((ctx: SourceContext) => Iterable<T> | AsyncIterable<T>);

/** What a source function receives when a run opens it. */
export interface SourceContext {
  /** Aborted when the run is cancelled or fails: stop producing when it fires. */
  readonly signal: AbortSignal;
}
