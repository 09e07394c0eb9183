import type { Checkpoint } from "../checkpoint/checkpoint.js";
import type { CallTracer } from "../contract/call-tracer.js";
import type { Logger } from "../observe/logger.js";
import type { Duration } from "../internal/duration.js";
import type { MetricsOptions } from "../observe/metrics-options.js";
import type { Limiter } from "../limit/limiter.js";
import type { DeadLetter, ErrorPolicy } from "../contract/types.js";
import type { CircuitStateChange } from "../policy/breaker-settings.js";
import type { Clock } from "../policy/clock.js";
import type { HedgeAfter } from "../policy/hedge-trigger.js";
import type { RetryBudget } from "../policy/retry-budget.js";

/** Options every function stage takes (`map`, `filter`, `flatMap`, `tap`, `forEach`). */
export interface StageOptions<I = unknown, R = unknown> {
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
  /**
   * Each item's key (a host, a customer, a session), with `perKey`: the stage's bulkhead per
   * key. Keys are compared as a `Map` compares them (SameValueZero). A throw fails the item.
   */
  readonly key?: (item: I) => unknown;
  /**
   * With `key`: at most `perKey` items of one key run at once (integer >= 1); the others wait
   * in their key's line, in arrival order, each holding one place of the stage's capacity,
   * while items of other keys go ahead. `perKey: 1` runs each key's items one after another,
   * so the stage's output keeps each key's order (keyed sharding for stateful work: dedupe,
   * sessions, windows). An item keeps its key's turn through its retries. A key's state lives
   * only while it has items in the stage. `run.stats()` shows the keys (`keys.hottest`: the
   * one with the most items waiting). Not on thread stages.
   */
  readonly perKey?: number;
  /**
   * One resource per slot, as `ctx.resource`: `(slot) => R | Promise<R>`, or
   * `{ create, dispose }`. The resources of the slots the width asks for are made all at once
   * before those slots take an item (a wider width later makes the new slots' first), and let
   * go when the stage is done, whether the run completed, failed or was cancelled: `dispose`
   * when given, else the resource's own `Symbol.asyncDispose`, `Symbol.dispose`, `release()`,
   * `close()`, `end()` or `destroy()`, the first it has. One that cannot be made fails the run
   * with a `ResourceError` naming the stage and slot. Not on thread stages (their module's
   * `init()` makes per-thread state).
   */
  readonly resources?: ResourcesOption<R>;
  /**
   * Many tenants in one stage: each tenant (`key(item)`) has its own quota inside the stage,
   * so one cannot exhaust it, and the items waiting are started across tenants in turn
   * (weighted by `weights`). A tenant's state is made on its first item and forgotten after
   * `idle` with nothing in the stage. `run.stats()` shows `tenants`. Not beside `perKey`,
   * `weight` or `rateLimit`, nor on thread stages.
   */
  readonly tenants?: TenantsOptions<I>;
  /**
   * How long one attempt of an item may run: ms or a string such as `"30s"` (> 0). At the
   * deadline the call's `ctx.signal` aborts and the attempt fails with a `TimeoutError`
   * (`ERR_SLUICE_TIMEOUT`, naming the stage, the item's index and the elapsed ms), which
   * `retry` may retry and `onError` then handles. A call that ignores its signal cannot be
   * stopped on the event loop: its late result is dropped and counted in `abandoned`, and it
   * keeps its place in the width until it settles. One timer per stage, never per item.
   * Not on flatMap or thread stages (`thread(url, { timeout })` has its own).
   */
  readonly timeout?: Duration;
  /**
   * Runs a failed item again, up to `attempts` attempts in all, after an exponential backoff
   * with full jitter. While it backs off the item holds no slot (it keeps its place in the
   * stage, and its turn in an ordered stage); `ctx.attempt` tells the function which attempt
   * it is. A retry `budget` caps retries as a share of first attempts over a sliding window.
   */
  readonly retry?: StageRetryOptions;
  /**
   * Hedged requests: an attempt still running `after` ms (or the stage's own observed
   * `"p95"`, any `"pNN"`) gets one more call; the first to succeed wins and the other's
   * signal aborts. `budget` (default 0.05) caps hedges as a share of calls.
   */
  readonly hedge?: StageHedgeOptions;
  /**
   * A circuit breaker in front of the function: after `failures` consecutive failed items (or
   * a failure `rate` over a `window`) it opens, and items fail at once with a
   * `BrokenCircuitError` (`ERR_SLUICE_CIRCUIT_OPEN`, never retried) until `halfOpenAfter`
   * lets a probe through. Per key with `key: item => host`.
   */
  readonly breaker?: StageBreakerOptions<I>;
  /**
   * Singleflight: items whose key is equal (SameValueZero) and whose attempts overlap share
   * one call and its result or error. Each item still counts, emits and retries on its own.
   */
  readonly dedupe?: (item: I) => unknown;
  /**
   * The clock `timeout`, `retry`, `hedge` and `breaker` run on. Default: the system clock;
   * tests pass `fakeClock()` from `"sluice/testing"`.
   */
  readonly clock?: Clock;
}

/** The `retry` option of a function stage. */
export interface StageRetryOptions {
  /** Attempts in all, the first included (1: no retry). Required; integer >= 1. */
  readonly attempts: number;
  /** The base backoff: ms or a string such as `"100ms"`. Default 100 ms; > 0. */
  readonly backoff?: Duration;
  /** The cap on one backoff delay: ms or a string such as `"30s"`. Default 30 s; > 0. */
  readonly maxDelay?: Duration;
  /** Whether a failure may be retried, given its error and attempt number. Default: all but an `AbortError`. */
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
  /**
   * Retries allowed per first attempt over a sliding window of 10 s (a ratio from 0 to 1, the
   * stage's own budget for each run, plus 10 per window), or a `retryBudget()` shared by
   * several stages. Default: no budget.
   */
  readonly budget?: number | RetryBudget;
  /** The jitter source, a number in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

/** The `hedge` option of a function stage. */
export interface StageHedgeOptions {
  /** Ms (or `"50ms"`) before a second call, or a percentile of the stage's latencies: `"p95"`. */
  readonly after: HedgeAfter;
  /** Hedges allowed per call, from 0 to 1 (plus 10 per 10 s window). Default 0.05. */
  readonly budget?: number;
}

/** The `breaker` option of a function stage. */
export interface StageBreakerOptions<I = unknown> {
  /** Consecutive failed items that open the circuit. Integer >= 1; default 5 (when no `rate`). */
  readonly failures?: number;
  /** A failure rate (> 0, <= 1) over `window` that opens the circuit; not with `failures`. */
  readonly rate?: number;
  /** Rate mode: the sliding window, ms or `"10s"`. Default 10 s. */
  readonly window?: Duration;
  /** Rate mode: items ended in the window before it may open. Default 10. */
  readonly minCalls?: number;
  /** How long the circuit stays open before a probe: ms or `"30s"`. Default 30 s. */
  readonly halfOpenAfter?: Duration;
  /** Items let through at once while half-open. Default 1. */
  readonly halfOpenProbes?: number;
  /** One circuit per key (`item => new URL(item.url).host`); default one for the stage. */
  readonly key?: (item: I) => unknown;
  /** Keys whose state is held at most (least recently used closed ones go first). Default 10,000. */
  readonly maxKeys?: number;
  /** How long an unused key's state is kept: ms or `"1m"`. Default max(60 s, 5 × window). */
  readonly idle?: Duration;
  /** Told of every state change, synchronously. */
  readonly onStateChange?: (change: CircuitStateChange) => void;
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
  /**
   * Progress saved as the run goes, `checkpoint(store, { every })`: the run resumes after the
   * highest contiguous completed item a previous run saved, and skips the items it had
   * completed past it. The source must be able to seek: an array, `fileLines(path)`,
   * `pgKeyset(…)` from "sluice/pg", or `seekable(read)`.
   */
  readonly checkpoint?: Checkpoint;
}

/** Options for `run()`. */
export interface RunOptions {
  /** Cancels the run when aborted, like `run.cancel(signal.reason)`. */
  readonly signal?: AbortSignal;
  /**
   * Records latency histograms for `run.metrics()` / `run.onMetrics()`: `true` times one
   * call in 64 per stage; `{ sampleEvery: n }` one in n. Also watches the event-loop delay
   * while the run goes. Default off: no stage reads a clock for metrics. Counters, queue
   * depths and failures by class are reported either way.
   */
  readonly metrics?: boolean | MetricsOptions;
  /**
   * Sees each call of the function stages: `otel()` from `"sluice/otel"` (a span per item
   * per stage), or a {@link CallTracer} of your own. Default none: calls run bare.
   */
  readonly trace?: CallTracer;
  /**
   * A pino logger (or anything with pino's `debug`/`info`/`warn`/`error(fields, message)`):
   * the run's start and end are logged at `info` (a failed run at `error` with `err`, a
   * cancelled one at `warn`). Default none.
   */
  readonly logger?: Logger;
  /**
   * With `logger`, logs one call in this many per stage (integer >= 1): `debug` with the
   * stage, index, attempt, slot and duration, or `warn` with `err` when the call failed.
   * Default: no per-item logs.
   */
  readonly logEvery?: number;
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

/** Options for `to(destination)`: how items are batched and written. */
export interface ToOptions<I = unknown> {
  /** Items per write: integer >= 1. Default 100. */
  readonly batch?: number;
  /** Ms a partial batch waits for more items before it is written anyway. Default 5 ms. */
  readonly maxWait?: Duration;
  /** Writes in flight at once: integer >= 1. Default 4. */
  readonly concurrency?: number;
  /** What a failed write does to its items (see `onError`). Default `"fail"`. */
  readonly onError?: "fail" | "skip";
  /** With `onError: "skip"`, hears of each batch whose write failed. */
  readonly deadLetter?: StageOptions<readonly I[]>["deadLetter"];
  /** A failed write is tried again (see a stage's `retry`). */
  readonly retry?: StageRetryOptions;
  /** Ms a write may take. */
  readonly timeout?: Duration;
  /** The writing stage's name. Default the destination's (`redis:jobs`). */
  readonly name?: string;
  /**
   * Each item's key, for a partitioned destination (`redisStream({ partitions })`): items of
   * one key go to one partition, in order. Required when the destination has partitions.
   */
  readonly key?: (item: I) => unknown;
}

/** A stage's `resources`: how each slot's resource is made (and, optionally, let go). */
export type ResourcesOption<R> =
  | ((slot: number) => R | PromiseLike<R>)
  | {
      readonly create: (slot: number) => R | PromiseLike<R>;
      readonly dispose?: (resource: R, slot: number) => unknown;
    };

/** Options of `.tee()`. */
export interface TeeOptions {
  /** Items the side path holds for the branch: integer >= 1. Default 1,024. */
  readonly buffer?: number;
  /**
   * When the buffer is full: `"drop"` (default) drops the item from the side path (counted;
   * the main path never waits), `"block"` waits for room (a slow branch slows the main path).
   */
  readonly mode?: "drop" | "block";
  /** The tee stage's name. Default `tee#<position>`. */
  readonly name?: string;
}

/** Options of `.route()`. */
export interface RouteOptions {
  /** Items each branch's buffer holds: integer >= 1. Default 64. */
  readonly buffer?: number;
  /** The route stage's name. Default `route#<position>`. */
  readonly name?: string;
}

/** Options of `.loop()`. */
export interface LoopOptions {
  /** Times an item may go round the body again after a failure: integer >= 1. Required. */
  readonly times: number;
  /** What an item that failed its last time round does: `"fail"` (default) or `"skip"`. */
  readonly onError?: "fail" | "skip";
  /** Outputs of the body held ready downstream: integer >= 1. Default 64. */
  readonly buffer?: number;
  /** The loop stage's name. Default `loop#<position>`. */
  readonly name?: string;
}

/** A stage's `tenants` option. */
export interface TenantsOptions<I = unknown> {
  /** Each item's tenant (a customer, an API key); compared as a `Map` compares keys. */
  readonly key: (item: I) => unknown;
  /** Items of one tenant running at once, at most: integer >= 1. Required. */
  readonly concurrency: number;
  /** Items of one tenant waiting in the stage at once, at most. Default: the stage's `buffer`. */
  readonly queue?: number;
  /**
   * When a tenant's queue is full: `"block"` (default) holds the stage's input back until it
   * has room, so the items behind wait too; `"shed"` drops the item (counted as shed; `onShed`
   * hears of it), so a flooding tenant never holds the others up.
   */
  readonly overflow?: "block" | "shed";
  /**
   * A token bucket per tenant: at most `rate` starts per `per` (default 1 s), `burst` at once;
   * a number is starts per second.
   */
  readonly rate?:
    number | { readonly rate: number; readonly per?: Duration; readonly burst?: number };
  /** Each tenant's share of the turns: `(tenant) => weight` or `{ tenant: weight }`. Default 1. */
  readonly weights?: ((tenant: unknown) => number) | Readonly<Record<string, number>>;
  /** How long a tenant with nothing in the stage is remembered: ms or `"1m"`. Default 60 s. */
  readonly idle?: Duration;
}
