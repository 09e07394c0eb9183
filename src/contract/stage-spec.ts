import type { ShedStrategy } from "../channel/chunk-channel.js";
import type { Limiter } from "../limit/limiter.js";
import type { RateLimitSpec } from "../limit/rate-gate.js";
import type { ResilienceSpec } from "../stage/resilience/resilience-spec.js";
import type { Destination } from "./destination.js";
import type { Executor } from "./executor.js";
import type { DeadLetter, ErrorPolicy, StageFn } from "./types.js";

/** The operators that call a user function with the concurrency options. */
export type FunctionKind = "map" | "filter" | "flatMap" | "tap" | "forEach";

/** A validated, frozen `map`/`filter`/`flatMap`/`tap`/`forEach` stage. */
export interface FunctionStageSpec {
  readonly kind: FunctionKind;
  readonly name: string;
  /** The function, when it runs on the event loop; see {@link executor}. */
  readonly fn: StageFn<unknown, unknown>;
  /** What runs the calls instead of the event loop (`thread(url)`); `undefined`: the loop. */
  readonly executor: Executor | undefined;
  /** The width: a static `concurrency`, or the limiter's `max`. */
  readonly concurrency: number;
  /** What sets the width while the run goes, when `concurrency` was a limiter. */
  readonly limiter: Limiter | undefined;
  readonly ordered: boolean;
  readonly buffer: number;
  readonly onError: ErrorPolicy;
  readonly deadLetter: DeadLetter<unknown> | undefined;
  /** What a full input drops instead of holding its producer back; `undefined`: it waits. */
  readonly shed: ShedStrategy | undefined;
  /** Hears of each shed item. */
  readonly onShed: ((item: unknown) => void) | undefined;
  /** Each item's weight: the width is then a capacity of weight in flight. */
  readonly weight: ((item: unknown) => number) | undefined;
  /** A token bucket every item passes before it starts, for the stage or per key. */
  readonly rateLimit: RateLimitSpec | undefined;
  /** The `perKey` bulkhead: at most `perKey` items of one key (`keyOf`) run at once. */
  readonly key: KeySpec | undefined;
  /** One resource per slot (`ctx.resource`), made before the slot takes an item. */
  readonly resources: ResourcesSpec | undefined;
  /** Per-tenant quotas and fair scheduling across tenants. */
  readonly tenants: TenantsSpec | undefined;
  /** `timeout`, `retry`, `hedge`, `breaker`, `dedupe`; `undefined` when the stage sets none. */
  readonly resilience: ResilienceSpec | undefined;
  /**
   * Set on the stages of a run fed by an acknowledged source: items are `Tracked`, and the
   * stage accounts for each one's lineage where its fate is decided (see `src/ledger/`).
   */
  readonly tracked?: boolean;
  /**
   * A `.to()` stage's destination: each run binds `fn` to a writer of its own (see
   * `RunWriters`), which takes the batches the stage before makes.
   */
  readonly destination?: Destination<unknown>;
  /** A `.to()` stage's `key`, which a partitioned destination writes by. */
  readonly destinationKey?: (item: unknown) => unknown;
  /** A `.tee()` stage's side path: each run binds `fn` to a branch of its own. */
  readonly tee?: TeeSpec;
}

/** A validated, frozen `batch` stage. */
export interface BatchStageSpec {
  readonly kind: "batch";
  readonly name: string;
  /** Batches held ready downstream. */
  readonly buffer: number;
  /** Items per batch. */
  readonly size: number;
  /** Ms from a batch's first item until it is emitted anyway (`Infinity`: no limit). */
  readonly maxWait: number;
  /** Items are `Tracked`: a batch goes on as one, its lineage the items' together. */
  readonly tracked?: boolean;
}

/** A validated, frozen `take`, `drop`, `scan` or `distinct` stage: sync, one item at a time. */
export type StepStageSpec =
  | {
      readonly kind: "take" | "drop";
      readonly name: string;
      readonly buffer: number;
      readonly count: number;
      /** Items are `Tracked`: a dropped one's lineage is done. */
      readonly tracked?: boolean;
    }
  | {
      readonly kind: "scan";
      readonly name: string;
      readonly buffer: number;
      readonly fn: (accumulator: unknown, item: unknown, index: number) => unknown;
      readonly initial: unknown;
    }
  | {
      readonly kind: "distinct";
      readonly name: string;
      readonly buffer: number;
      readonly key: ((item: unknown) => unknown) | undefined;
      /** Most keys remembered (`Infinity`: all of them). */
      readonly limit: number;
      /** Items are `Tracked`: a dropped one's lineage is done. */
      readonly tracked?: boolean;
    };

/** Every stage a pipeline can hold; a run builds one {@link Stage} from each. */
export type StageSpec =
  FunctionStageSpec | BatchStageSpec | StepStageSpec | RouteStageSpec | LoopStageSpec;

/** A validated, frozen `loop` stage: a body each item goes round up to `times` more times. */
export interface LoopStageSpec {
  readonly kind: "loop";
  readonly name: string;
  /** Outputs of the body held ready downstream. */
  readonly buffer: number;
  /** Times an item goes round again after a failure: integer >= 1. */
  readonly times: number;
  /** What an item that failed its last time round does. */
  readonly onError: "fail" | "skip";
  /** The body, built on a placeholder source (a `Pipeline`), its "fail" stages made "skip". */
  readonly body: object;
}

/** A validated, frozen `route` stage: each item to the branch its function names. */
export interface RouteStageSpec {
  readonly kind: "route";
  readonly name: string;
  /** Each branch's buffer, in items. */
  readonly buffer: number;
  /** The name of the branch an item goes to. */
  readonly route: (item: unknown) => unknown;
  /** The branches by name, each built on a placeholder source (a `Pipeline`). */
  readonly branches: Readonly<Record<string, object>>;
}

/** A function stage's `key` and `perKey`, checked. */
export interface KeySpec {
  readonly keyOf: (item: unknown) => unknown;
  readonly perKey: number;
}

/** A stage's `resources`, checked: how to make a slot's resource, and how to let it go. */
export interface ResourcesSpec {
  readonly create: (slot: number) => unknown;
  /** Your own disposal; by default the resource's own (`Symbol.asyncDispose`, `close()`, …). */
  readonly dispose: ((resource: unknown, slot: number) => unknown) | undefined;
}

/** A `.tee()` stage's side path, checked. */
export interface TeeSpec {
  /** The branch as built on the side path's placeholder source (a `Pipeline`). */
  readonly branch: object;
  /** The side path's buffer, in items. */
  readonly buffer: number;
  /** When the buffer is full: wait for room, or drop the item from the side path. */
  readonly mode: "block" | "drop";
}

/** A function stage's `tenants`, checked. */
export interface TenantsSpec {
  readonly key: (item: unknown) => unknown;
  /** Items of one tenant running at once, at most. */
  readonly concurrency: number;
  /** Items of one tenant waiting at once, at most. */
  readonly queue: number;
  /** When a tenant's queue is full: hold the input back, or drop the item (counted). */
  readonly overflow: "block" | "shed";
  /** A token bucket per tenant: `rate` per `perMs`, `burst` at once. */
  readonly rate:
    { readonly rate: number; readonly perMs: number; readonly burst: number } | undefined;
  /** Each tenant's share of the turns (default 1 each). */
  readonly weights: ((tenant: unknown) => number) | Readonly<Record<string, number>> | undefined;
  /** How long a tenant with nothing in the stage is remembered (its bucket, its credit). */
  readonly idleMs: number;
}
