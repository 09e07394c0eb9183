/** How a run ended. */
export type RunOutcome = "running" | "completed" | "cancelled" | "failed";

/** The operator a stage was built from. */
export type StageKind =
  | "map"
  | "filter"
  | "flatMap"
  | "tap"
  | "forEach"
  | "batch"
  | "route"
  | "loop"
  | "take"
  | "drop"
  | "scan"
  | "distinct";

/**
 * Counters for one stage, read as plain numbers (no per-item messages).
 *
 * Conservation: `in === out + filtered + failed + cancelled + shed` once the run has settled
 * (`abandoned`, `retried` and `hedged` count calls, not items: outside the sum).
 * Across a boundary: the previous stage's `emitted` equals this stage's `in + discarded`.
 */
export interface StageStats {
  /** The stage's name (`name` option, or `<kind>#<position>`). */
  readonly name: string;
  /** The operator that built the stage. */
  readonly kind: StageKind;
  /**
   * The width the stage was built with: a function stage's `concurrency`, or its limiter's
   * `max`. `batch`, `take`, `drop`, `scan` and `distinct` handle one item (or one batch) at a
   * time: 1.
   */
  readonly concurrency: number;
  /**
   * The width now: the most items that may be inside the function at once, as flow control
   * last set it (an adaptive limiter, `run.setConcurrency()`); the run's `pause()` does not
   * change it. Equal to `concurrency` for a static stage that was never changed.
   */
  readonly limit: number;
  /** Whether the stage emits in input order. */
  readonly ordered: boolean;
  /** Capacity of the stage's output channel, in emitted values. */
  readonly buffer: number;
  /** Items the stage took from its input. */
  readonly in: number;
  /** Items that left the stage by being emitted (for `forEach`: consumed). */
  readonly out: number;
  /** Items dropped on purpose: a `filter` that said no, a `flatMap` that yielded nothing. */
  readonly filtered: number;
  /** Items whose function threw or rejected (whatever the error policy did with them). */
  readonly failed: number;
  /**
   * The failed items by error class (`TimeoutError`, `BrokenCircuitError`, an error's
   * `name`), in the summary of a stage that had failures; absent otherwise.
   */
  readonly failedBy?: Readonly<Record<string, number>>;
  /**
   * Items that were inside the stage when the run was cancelled or failed (for `batch`: the
   * items of the batch being formed).
   */
  readonly cancelled: number;
  /**
   * Calls the stage stopped waiting for, their late results dropped: calls that had not
   * settled one turn of the event loop after the run stopped and aborted their signal (those
   * items count as `cancelled`), and calls past the stage's `timeout` (those items failed
   * with a `TimeoutError`, or were retried). A call abandoned at its timeout keeps its place
   * in the width until it settles.
   */
  readonly abandoned: number;
  /** Attempts made again after a failure (the `retry` option): each retry counts once. */
  readonly retried: number;
  /** Second calls started for slow attempts (the `hedge` option). */
  readonly hedged: number;
  /**
   * Items dropped at the stage's input because it was full (the `shed` option): counted in
   * `in`, never started; `onShed` heard of each.
   */
  readonly shed: number;
  /** Items that reached the stage's input but were never taken, because the run stopped. */
  readonly discarded: number;
  /** Values the stage sent downstream (a `flatMap` may send many per item, a `batch` one per batch). */
  readonly emitted: number;
  /** Most items that were inside the stage's function at once during the run. */
  readonly maxInFlight: number;
  /** Items inside the stage's function now. */
  readonly inFlight: number;
  /** A thread stage's figures (`thread()` from `"sluice/threads"`); absent otherwise. */
  readonly threads?: ThreadStageStats;
  /** A keyed stage's figures (`key` with `perKey`); absent otherwise. */
  readonly keys?: KeyStats;
  /** A multi-tenant stage's figures (`tenants`); absent otherwise. */
  readonly tenants?: TenantStats;
}

/** What `run.stats()` shows of a stage with `tenants`. */
export interface TenantStats {
  /** Tenants remembered now (with items in the stage, or idle for less than `idle`). */
  readonly known: number;
  /** Items waiting for their tenant's turn now. */
  readonly waiting: number;
  /** Items dropped because their tenant's queue was full (`overflow: "shed"`). */
  readonly shed: number;
  /** Tenants forgotten after `idle` with nothing in the stage. */
  readonly reaped: number;
  /** The tenant with the most items waiting now, if any waits. */
  readonly hottest?: {
    readonly tenant: string;
    readonly running: number;
    readonly waiting: number;
  };
}

/** What `run.stats()` shows of a keyed stage (`key` with `perKey`). */
export interface KeyStats {
  /** Keys with items in the stage now (running or waiting). */
  readonly active: number;
  /** Items waiting for their key's turn now. */
  readonly waiting: number;
  /** Most items of one key waiting at once during the run. */
  readonly maxWaiting: number;
  /** The key with the most items waiting now, if any waits: a hot key. */
  readonly hottest?: { readonly key: string; readonly inFlight: number; readonly waiting: number };
}

/** What a thread stage reports beside the common counters. */
export interface ThreadStageStats {
  /** Threads in the pool that runs the stage's calls. */
  readonly threads: number;
  /** Items per message to a thread now (adaptive unless `batch` was set). */
  readonly batch: number;
  /** Batches sent to threads. */
  readonly batches: number;
  /** Threads that died (threw at top level, exited, ran out of memory) while holding items. */
  readonly crashes: number;
  /** Items sent again to a fresh thread after the thread holding them died. */
  readonly retried: number;
  /** Items whose call ran past `timeout` (their thread was replaced). */
  readonly timedOut: number;
  /**
   * Items taken from a batch held up behind a long call and sent to an idle thread instead
   * (work stealing).
   */
  readonly stolen: number;
}

/** A stage's validated settings, as `pipeline.stages` lists them before any run. */
export type StageDescription =
  | FunctionStageDescription
  | BatchStageDescription
  | StepStageDescription
  | RouteStageDescription
  | LoopStageDescription;

/** `loop`: a body each item goes round again after a failure, `times` at most. */
export interface LoopStageDescription {
  readonly name: string;
  readonly kind: "loop";
  readonly buffer: number;
  readonly times: number;
  readonly onError: "fail" | "skip";
  /** The body's stages. */
  readonly body: readonly StageDescription[];
}

/** `route`: items to branches by name, their outputs merged. */
export interface RouteStageDescription {
  readonly name: string;
  readonly kind: "route";
  /** Each branch's buffer, in items. */
  readonly buffer: number;
  /** The branches' names. */
  readonly branches: readonly string[];
}

/** `map`, `filter`, `flatMap`, `tap`, `forEach`. */
export interface FunctionStageDescription {
  readonly name: string;
  readonly kind: "map" | "filter" | "flatMap" | "tap" | "forEach";
  /** Most items inside the function at once. */
  readonly concurrency: number;
  readonly ordered: boolean;
  /** Capacity of the output channel, in emitted values. */
  readonly buffer: number;
  /** What a throw or rejection does. */
  readonly onError: "fail" | "skip" | "collect";
  /** What runs the calls when not the event loop, e.g. `threads(hash.worker.js)`. */
  readonly executor?: string;
}

/** `batch`. */
export interface BatchStageDescription {
  readonly name: string;
  readonly kind: "batch";
  /** Batches held ready downstream. */
  readonly buffer: number;
  /** Items per batch. */
  readonly size: number;
  /** Ms a partial batch waits, when set. */
  readonly maxWait?: number;
}

/** `take`, `drop`, `scan`, `distinct`: one item at a time, in order. */
export interface StepStageDescription {
  readonly name: string;
  readonly kind: "take" | "drop" | "scan" | "distinct";
  /** Capacity of the output channel, in emitted values. */
  readonly buffer: number;
  /** `take` / `drop`: how many items. */
  readonly count?: number;
  /** `distinct`: most keys remembered, when bounded. */
  readonly limit?: number;
}

/** A snapshot of a run: per-stage counters, timings and how it ended. */
export interface RunSummary {
  /** How the run ended, or `"running"`. */
  readonly outcome: RunOutcome;
  /** The error that failed the run, or the reason it was cancelled. */
  readonly error?: unknown;
  /** Items pulled from the source. */
  readonly pulled: number;
  /**
   * Values handed to the consumer (iterator, `collect`, `drain`). A pipeline that ends in
   * `forEach` hands nothing over (0): what its sink took is `consumed`.
   */
  readonly delivered: number;
  /**
   * Items the last stage consumed without passing them on: a `forEach` sink's `out` (0
   * when the pipeline ends in any other stage, or in a forEach with `onError: "collect"`).
   */
  readonly consumed: number;
  /** Outputs the last stage emitted that the consumer never took (the run stopped first). */
  readonly undelivered: number;
  /** One entry per stage, in pipeline order. */
  readonly stages: readonly StageStats[];
  /** Milliseconds from the start of the run to now, or to when it settled. */
  readonly durationMs: number;
  /** Source items per second over `durationMs`. */
  readonly itemsPerSecond: number;
  /**
   * With an acknowledged source (a broker consumer): its deliveries `received`, `acked`,
   * `nacked` and `inFlight` (neither yet), plus what the source reports of itself (Redis:
   * `held`, `reclaimed`, `deadLettered`, the group's `groupPending` and `groupLag`).
   */
  readonly deliveries?: Readonly<Record<string, number>>;
  /** The side paths of the pipeline's `.tee()` stages, in pipeline order. */
  readonly branches?: readonly TeeStats[];
}

/** A `.tee()` side path: what it was offered, what it dropped, and its branch's own run. */
export interface TeeStats {
  /** The tee stage's name. */
  readonly name: string;
  readonly mode: "block" | "drop";
  /** The side path's buffer, in items. */
  readonly buffer: number;
  /** Items the main path offered to the branch: every item that passed the tee. */
  readonly offered: number;
  /** Items the buffer had no room for (`mode: "drop"`): the branch never saw them. */
  readonly dropped: number;
  /** Items in the buffer now. */
  readonly queued: number;
  /** The branch's run (absent until the first item is offered). */
  readonly run?: RunSummary;
}
