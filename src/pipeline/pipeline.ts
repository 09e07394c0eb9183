import { checkOptionsObject, signalOption } from "../internal/validate.js";
import type { StageSpec } from "../stage/stage-spec.js";
import { batchStageSpec, functionStageSpec } from "./build-spec.js";
import type { BatchOptions, RunOptions, StageOptions } from "./options.js";
import { Run } from "./run.js";
import type { StageDescription } from "./summary.js";
import type { Failure, Result, Source, StageContext, StageFn } from "./types.js";

/** Stage options that make a stage emit `Result`s instead of failing. */
export type CollectOptions<I> = StageOptions<I> & { readonly onError: "collect" };

/**
 * An immutable pipeline definition: a source and its stages. Each operator returns a new
 * pipeline; `run()` starts an independent execution, so one definition may run many times.
 */
export class Pipeline<T> {
  readonly #source: Source<unknown>;
  readonly #stages: readonly StageSpec[];
  readonly #sourceBuffer: number;

  /** @internal Use `from()`. */
  constructor(source: Source<unknown>, stages: readonly StageSpec[], sourceBuffer: number) {
    this.#source = source;
    this.#stages = stages;
    this.#sourceBuffer = sourceBuffer;
  }

  /** The stages' validated settings, in order (what a run's summary will report). */
  get stages(): readonly StageDescription[] {
    return this.#stages.map(describeStage);
  }

  /**
   * Transforms each item with `fn(item, ctx)`, up to `concurrency` at once. A sync function
   * costs no promise per item; an async one costs one.
   */
  map<O>(fn: StageFn<T, O>, options: CollectOptions<T>): Pipeline<Result<O, T>>;
  map<O>(fn: StageFn<T, O>, options?: StageOptions<T>): Pipeline<O>;
  map<O>(fn: StageFn<T, O>, options?: StageOptions<T>): Pipeline<unknown> {
    return this.#with(functionStageSpec("map", this.#position, fn, options));
  }

  /** Keeps the items for which `fn` returns (or resolves to) a truthy value. */
  filter<S extends T>(
    fn: (item: T, ctx: StageContext) => item is S,
    options?: StageOptions<T>,
  ): Pipeline<S>;
  filter(fn: StageFn<T, unknown>, options: CollectOptions<T>): Pipeline<Result<T, T>>;
  filter(fn: StageFn<T, unknown>, options?: StageOptions<T>): Pipeline<T>;
  filter(fn: StageFn<T, unknown>, options?: StageOptions<T>): Pipeline<unknown> {
    return this.#with(functionStageSpec("filter", this.#position, fn, options));
  }

  /**
   * Maps each item to an Iterable or AsyncIterable and emits its values. Unordered, values
   * stream out as they come (bounded by `buffer`); ordered, each item's values are gathered
   * before they are emitted in input order.
   */
  flatMap<O>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>>,
    options: CollectOptions<T>,
  ): Pipeline<Result<O, T>>;
  flatMap<O>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>>,
    options?: StageOptions<T>,
  ): Pipeline<O>;
  flatMap<O>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>>,
    options?: StageOptions<T>,
  ): Pipeline<unknown> {
    return this.#with(functionStageSpec("flatMap", this.#position, fn, options));
  }

  /** Calls `fn` for its side effect and passes each item on unchanged. */
  tap(fn: StageFn<T, unknown>, options: CollectOptions<T>): Pipeline<Result<T, T>>;
  tap(fn: StageFn<T, unknown>, options?: StageOptions<T>): Pipeline<T>;
  tap(fn: StageFn<T, unknown>, options?: StageOptions<T>): Pipeline<unknown> {
    return this.#with(functionStageSpec("tap", this.#position, fn, options));
  }

  /**
   * Consumes each item with `fn`: the end of a pipeline that writes somewhere. It emits
   * nothing (with `onError: "collect"`, only the failures).
   */
  forEach(fn: StageFn<T, unknown>, options: CollectOptions<T>): Pipeline<Failure<T>>;
  forEach(fn: StageFn<T, unknown>, options?: StageOptions<T>): Pipeline<never>;
  forEach(fn: StageFn<T, unknown>, options?: StageOptions<T>): Pipeline<unknown> {
    return this.#with(functionStageSpec("forEach", this.#position, fn, options));
  }

  /**
   * Groups items into arrays of `size`, in input order; a partial batch goes out `maxWait`
   * after its first item arrived, and at the end of the input.
   */
  batch(options: BatchOptions): Pipeline<T[]> {
    return this.#with(batchStageSpec(this.#position, options));
  }

  /**
   * Starts nothing yet: returns a {@link Run} that starts on its first `next()`,
   * `collect()` or `drain()`. Each call is an independent run.
   */
  run(options?: RunOptions): Run<T> {
    const raw = checkOptionsObject("run", options, ["signal"]);
    const signal = signalOption("run.signal", raw.signal);
    return new Run<T>(this.#source, this.#stages, this.#sourceBuffer, signal);
  }

  get #position(): number {
    return this.#stages.length + 1;
  }

  #with<O>(spec: StageSpec): Pipeline<O> {
    return new Pipeline<O>(
      this.#source,
      Object.freeze([...this.#stages, spec]),
      this.#sourceBuffer,
    );
  }
}

/** A stage's public description: its settings without its functions. */
export function describeStage(spec: StageSpec): StageDescription {
  const { name, kind, concurrency, ordered, buffer, onError } = spec;
  if (kind !== "batch") return { name, kind, concurrency, ordered, buffer, onError };
  return Number.isFinite(spec.maxWait)
    ? { name, kind, concurrency, ordered, buffer, onError, size: spec.size, maxWait: spec.maxWait }
    : { name, kind, concurrency, ordered, buffer, onError, size: spec.size };
}
