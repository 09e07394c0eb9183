import type { RunControl } from "./run-control.js";
import type { Stage, StageInput } from "./stage.js";
import type { FunctionKind, FunctionStageSpec } from "./stage-spec.js";

/** Brands executors so `map()` tells one from a plain function across package copies. */
export const kExecutor: unique symbol = Symbol.for("sluice.executor") as never;

/**
 * Type-only: the item and result types an executor's function takes and gives. An executor
 * class declares the member (`declare readonly [kExecutorTypes]?: (item: I) => O`), or its
 * type parameters go unused and `map()` infers `unknown` for the stage's output.
 */
export declare const kExecutorTypes: unique symbol;

/**
 * Where a function stage's calls run. A stage given a plain function runs it on the event
 * loop; a stage given an executor (such as `thread(url)` from `"sluice/threads"`) lets the
 * executor build the stage's runtime, which keeps the stage's semantics (order, error policy,
 * cancellation, counters) and runs the calls elsewhere. The core loads no executor's code:
 * an executor is an object the user imported from its own subpath.
 */
export interface Executor<I = unknown, O = unknown> {
  readonly [kExecutor]: true;
  /** Type-only; never set. */
  readonly [kExecutorTypes]?: (item: I) => O;
  /** What runs the calls, as descriptions show it (e.g. `threads(hash.worker.js)`). */
  readonly description: string;
  /** The stage's width when its options set none (items in flight at once). */
  defaultConcurrency(): number;
  /** Throws an `InvalidOptionError` if the executor cannot run a stage of this kind. */
  checkStage?(kind: FunctionKind): void;
  /** Builds the runtime of a function stage whose calls run here. */
  createStage(spec: FunctionStageSpec, input: StageInput<unknown>, run: RunControl): Stage;
}

/** Whether `value` is an {@link Executor}. */
export function isExecutor(value: unknown): value is Executor {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [kExecutor]?: unknown })[kExecutor] === true
  );
}
