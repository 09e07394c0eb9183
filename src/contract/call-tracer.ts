import type { FunctionKind } from "./stage-spec.js";

/** A function stage as a {@link CallTracer} is told of it, once, when the run builds it. */
export interface TracedStage {
  /** The stage's name. */
  readonly name: string;
  /** Its position among the pipeline's stages, from 0. */
  readonly position: number;
  /** The operator. */
  readonly kind: FunctionKind;
  /** Whether its calls run on worker threads (`thread()` from `"sluice/threads"`). */
  readonly threads: boolean;
  /**
   * The run it belongs to, as an identity: the same object for every stage of one run, a
   * new one for each run (a tracer that serves many runs tells them apart by it). Stages are
   * asked about in pipeline order, so the first asked with a new `run` is its first
   * function stage.
   */
  readonly run: object;
}

/** One call as a tracer sees it start. Read it in `start`; the object may be reused after. */
export interface TracedCall {
  /** The item's position in the stage's input, from 0. */
  readonly index: number;
  /** The attempt number, from 1 (retries count up). */
  readonly attempt: number;
  /** The slot that runs the call; in a thread stage, the pool's thread slot. */
  readonly slot: number;
  /** In a thread stage, the `threadId` of the worker that runs the call. */
  readonly threadId?: number;
}

/** What a traced call reports to when it settles. */
export interface CallSpan {
  /**
   * Runs the call itself (so work the function starts sees the span as its parent, as
   * OpenTelemetry's `context.with` does). Event-loop stages call it once per traced call;
   * thread stages, whose calls run elsewhere, never do.
   */
  run?<R>(call: () => R): R;
  /** The call returned or resolved `result`. */
  ok(result: unknown): void;
  /** The call threw, rejected, timed out or was cancelled with `error`. */
  failed(error: unknown): void;
}

/** A stage's hook for its calls, from {@link CallTracer.forStage}. */
export interface StageCallHook {
  /**
   * A call of `item` starts: returns where to report its end, or `undefined` to leave this
   * call untraced (a sampler said no). Called on every call, so keep the untraced path to a
   * check or two.
   */
  start(item: unknown, call: TracedCall): CallSpan | undefined;
}

/**
 * Sees the calls of a run's function stages: `run({ trace })` takes one (such as `otel()`
 * from `"sluice/otel"`), and the `logger` option is one. A run without a tracer calls the
 * stages' functions bare: the hook costs nothing unless given.
 */
export interface CallTracer {
  /** Once per function stage as the run builds it: its hook, or `undefined` to leave it bare. */
  forStage(stage: TracedStage): StageCallHook | undefined;
}
