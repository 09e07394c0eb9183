import type { Duration } from "../internal/duration.js";
import type { Limiter } from "../limit/limiter.js";
import type { DeadLetter, ErrorPolicy } from "../contract/types.js";

/** Options every function stage takes (`map`, `filter`, `flatMap`, `tap`, `forEach`). */
export interface StageOptions<I = unknown> {
  /**
   * Most items inside the function at once: an integer >= 1, `"cpus"` for the CPU quota of
   * this process (cgroup-aware), or a {@link Limiter} that sets the width while the run goes
   * (`aimd()`, `gradient()`, or your own; not on thread stages). Default 16. `Infinity` is
   * refused: every stage is bounded (a limiter by its `max`).
   */
  readonly concurrency?: number | "cpus" | Limiter;
  /** Emit in input order (`true`) or completion order (`false`, the default, faster). */
  readonly ordered?: boolean;
  /**
   * Capacity of the stage's output channel, in emitted values: integer >= 1. Default
   * `max(2 × concurrency, 128)`: chunks of up to half of it cross to the next stage.
   */
  readonly buffer?: number;
  /** Name shown in summaries and errors. Default `<operator>#<position>`, e.g. `map#1`. */
  readonly name?: string;
  /**
   * What a throw or rejection does: `"fail"` (default: the run fails with a `StageError`),
   * `"skip"` (count it and drop the item; see `deadLetter`), `"collect"` (emit
   * `{ ok: true, value } | { ok: false, error, item }` and never fail).
   */
  readonly onError?: ErrorPolicy;
  /** With `onError: "skip"`: called with each dropped item; a throw here fails the run. */
  readonly deadLetter?: DeadLetter<I>;
  /**
   * Load shedding: when the stage's input is full, drop items instead of holding the producer
   * (the previous stage, or an async source) back. `"newest"` drops the arriving items,
   * `"oldest"` the longest-queued ones, `"random"` any of them. Dropped items count as `shed`
   * (and in `in`). An input read on demand (an array, a sync iterable) never fills: nothing is
   * shed there.
   */
  readonly shed?: "newest" | "oldest" | "random";
  /** With `shed`: called with each dropped item, synchronously; a throw fails the run. */
  readonly onShed?: (item: I) => void;
  /**
   * Each item's weight, a finite number >= 0: `concurrency` becomes a capacity of weight in
   * flight (a 50 MB file weighs 50, a 1 MB file 1), as well as of items. Items start in input
   * order, so a heavy one is never starved by lighter ones behind it; an item heavier than the
   * whole capacity fails with an error naming it, its weight and the capacity.
   */
  readonly weight?: (item: I) => number;
  /**
   * A token bucket every item passes before its call starts: at most `rate` calls start per
   * `per`, `burst` at once after a quiet spell. With `key`, one bucket per key (per host, per
   * tenant): an item whose key has no token waits in that key's line, holding one place of
   * the stage's capacity but not the items of other keys. One timer per stage, never per item.
   */
  readonly rateLimit?: RateLimitOptions<I>;
}

/** The `rateLimit` option of a function stage. */
export interface RateLimitOptions<I = unknown> {
  /** Calls that may start per `per`: a number > 0 (`0.5` with `per: "1s"` is one every 2 s). */
  readonly rate: number;
  /** The window `rate` counts over: ms or a string such as `"1s"`, `"1m"`. Default 1 s. */
  readonly per?: Duration;
  /**
   * Most calls that may start at once after a quiet spell: an integer >= 1. Default: what
   * `rate` earns in 10 ms, at least 1 (a higher rate than one per timer tick needs it).
   */
  readonly burst?: number;
  /** One bucket per key (`item => new URL(item.url).host`); default one for the stage. */
  readonly key?: (item: I) => unknown;
}

/** Options for `batch()`. */
export interface BatchOptions {
  /** Items per batch: integer >= 1. Required. */
  readonly size: number;
  /**
   * Longest a batch waits after its first item before it is emitted anyway: ms (number) or
   * a string such as `"100ms"`, > 0. Default: no limit (a batch waits until it is full or
   * the input ends).
   */
  readonly maxWait?: Duration;
  /** Batches held ready for downstream: integer >= 1. Default 2. */
  readonly buffer?: number;
  /** Name shown in summaries. Default `batch#<position>`. */
  readonly name?: string;
}

/** Options for `from()`. */
export interface FromOptions {
  /** Items read ahead of the first stage (also the chunk size for async sources): integer >= 1. Default 64. */
  readonly buffer?: number;
}

/** Options for `run()`. */
export interface RunOptions {
  /** Cancels the run when aborted, like `run.cancel(signal.reason)`. */
  readonly signal?: AbortSignal;
}

/** Options for `take`, `drop` and `scan`. */
export interface StepOptions {
  /** Name shown in summaries and errors. Default `<operator>#<position>`. */
  readonly name?: string;
  /** Capacity of the stage's output channel: integer >= 1. Default 128. */
  readonly buffer?: number;
}

/** Options for `distinct`. */
export interface DistinctOptions extends StepOptions {
  /**
   * Most keys remembered: integer >= 1. Default: every key ever seen, so memory grows with
   * the number of distinct keys. With a limit, memory is bounded by `limit` keys and the key
   * seen least recently is forgotten first: an item whose key was forgotten passes again.
   */
  readonly limit?: number;
}
