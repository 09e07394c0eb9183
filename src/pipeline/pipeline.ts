import { type AcknowledgedSource, isAcknowledged } from "../contract/acknowledged.js";
import { type Destination, isDestination } from "../contract/destination.js";
import { Ledger } from "../ledger/ledger.js";
import type { Readable } from "node:stream";
import { runObservers } from "../observe/run-observers.js";
import type { Executor } from "../contract/executor.js";
import type { StageSpec } from "../contract/stage-spec.js";
import type { StageDescription } from "../contract/summary.js";
import type { Failure, Result, Source, StageContext, StageFn } from "../contract/types.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import {
  checkOptionsObject,
  integerOption,
  invalid,
  optionalFunction,
  signalOption,
} from "../internal/validate.js";
import {
  batchStageSpec,
  countStageSpec,
  distinctStageSpec,
  functionStageSpec,
  scanStageSpec,
} from "./build-spec.js";
import type {
  BatchOptions,
  DistinctOptions,
  RunOptions,
  StageOptions,
  StepOptions,
  ToOptions,
} from "./options.js";
import { Run } from "./run.js";
import { RunWriters } from "./run-writers.js";

/** Stage options that make a stage emit `Result`s instead of failing. */
export type CollectOptions<I> = StageOptions<I> & { readonly onError: "collect" };

/** Stage options that leave the output as it is: `onError` is `"fail"` or `"skip"`, or unset. */
export type PlainOptions<I> = StageOptions<I> & { readonly onError?: "fail" | "skip" };

/**
 * The end of a pipeline whose last stage consumes every item (`forEach`): nothing comes
 * out, so no stage may follow; it can only be run (`await p.forEach(write).run()`).
 */
export interface Sink {
  /** The stages' validated settings, in order. */
  readonly stages: readonly StageDescription[];
  /** Starts an independent run; awaiting it runs it to the end (see {@link Run}). */
  run(options?: RunOptions): Run<never>;
}

/**
 * An immutable pipeline definition: a source and its stages. Each operator returns a new
 * pipeline; `run()` starts an independent execution, so one definition may run many times.
 */
export class Pipeline<T> {
  readonly #source: Source<unknown> | AcknowledgedSource<unknown>;
  readonly #stages: readonly StageSpec[];
  readonly #sourceBuffer: number;

  /** @internal Use `from()`. */
  constructor(
    source: Source<unknown> | AcknowledgedSource<unknown>,
    stages: readonly StageSpec[],
    sourceBuffer: number,
  ) {
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
   *
   * @example
   * from(urls).map(async (url, { signal }) => (await fetch(url, { signal })).status, { concurrency: 32 })
   */
  map<O>(fn: StageFn<T, O> | Executor<T, O>, options: CollectOptions<T>): Pipeline<Result<O, T>>;
  map<O>(fn: StageFn<T, O> | Executor<T, O>, options?: PlainOptions<T>): Pipeline<O>;
  map<O>(fn: StageFn<T, O> | Executor<T, O>, options: StageOptions<T>): Pipeline<O | Result<O, T>>;
  map<O>(fn: StageFn<T, O> | Executor<T, O>, options?: StageOptions<T>): Pipeline<unknown> {
    return this.#with(functionStageSpec("map", this.#position, fn, options));
  }

  /** Keeps the items for which `fn` returns (or resolves to) a truthy value. */
  filter<S extends T>(
    fn: (item: T, ctx: StageContext) => item is S,
    options?: PlainOptions<T>,
  ): Pipeline<S>;
  filter(
    fn: StageFn<T, unknown> | Executor<T, unknown>,
    options: CollectOptions<T>,
  ): Pipeline<Result<T, T>>;
  filter(fn: StageFn<T, unknown> | Executor<T, unknown>, options?: PlainOptions<T>): Pipeline<T>;
  filter(
    fn: StageFn<T, unknown> | Executor<T, unknown>,
    options: StageOptions<T>,
  ): Pipeline<T | Result<T, T>>;
  filter(
    fn: StageFn<T, unknown> | Executor<T, unknown>,
    options?: StageOptions<T>,
  ): Pipeline<unknown> {
    return this.#with(functionStageSpec("filter", this.#position, fn, options));
  }

  /**
   * Maps each item to an Iterable or AsyncIterable and emits its values, pulling them only
   * as fast as the output is read (an endless inner iterable is fine). Unordered, values
   * stream out as they come; ordered, the calls overlap but each item's values stream out
   * in turn, in input order. A thread stage's function returns an iterable that is read
   * whole in its thread (generators cannot cross threads): its values come out together.
   */
  flatMap(fn: StageFn<T, Readable>, options: CollectOptions<T>): Pipeline<Result<unknown, T>>;
  flatMap(fn: StageFn<T, Readable>, options?: PlainOptions<T>): Pipeline<unknown>;
  flatMap<O>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>> | Executor<T, Iterable<O>>,
    options: CollectOptions<T>,
  ): Pipeline<Result<O, T>>;
  flatMap<O>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>> | Executor<T, Iterable<O>>,
    options?: PlainOptions<T>,
  ): Pipeline<O>;
  flatMap<O>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>> | Executor<T, Iterable<O>>,
    options: StageOptions<T>,
  ): Pipeline<O | Result<O, T>>;
  /** An executor whose function's return type is not known: its values are `unknown`. */
  flatMap(fn: Executor<T, unknown>, options?: StageOptions<T>): Pipeline<unknown>;
  flatMap<O>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>> | Executor<T, unknown>,
    options?: StageOptions<T>,
  ): Pipeline<unknown> {
    return this.#with(functionStageSpec("flatMap", this.#position, fn, options));
  }

  /** Calls `fn` for its side effect and passes each item on unchanged. */
  tap(
    fn: StageFn<T, unknown> | Executor<T, unknown>,
    options: CollectOptions<T>,
  ): Pipeline<Result<T, T>>;
  tap(fn: StageFn<T, unknown> | Executor<T, unknown>, options?: PlainOptions<T>): Pipeline<T>;
  tap(
    fn: StageFn<T, unknown> | Executor<T, unknown>,
    options: StageOptions<T>,
  ): Pipeline<T | Result<T, T>>;
  tap(
    fn: StageFn<T, unknown> | Executor<T, unknown>,
    options?: StageOptions<T>,
  ): Pipeline<unknown> {
    return this.#with(functionStageSpec("tap", this.#position, fn, options));
  }

  /**
   * Consumes each item with `fn`: the end of a pipeline that writes somewhere. Nothing
   * comes out, so no stage may follow; with `onError: "collect"` the failures come out.
   *
   * @example
   * const summary = await from(rows).forEach((row) => db.insert(row), { concurrency: 8 }).run();
   */
  forEach(
    fn: StageFn<T, unknown> | Executor<T, unknown>,
    options: CollectOptions<T>,
  ): Pipeline<Failure<T>>;
  forEach(fn: StageFn<T, unknown> | Executor<T, unknown>, options?: PlainOptions<T>): Sink;
  forEach(
    fn: StageFn<T, unknown> | Executor<T, unknown>,
    options: StageOptions<T>,
  ): Pipeline<Failure<T>> | Sink;
  forEach(
    fn: StageFn<T, unknown> | Executor<T, unknown>,
    options?: StageOptions<T>,
  ): Pipeline<unknown> | Sink {
    return this.#with(functionStageSpec("forEach", this.#position, fn, options));
  }

  /**
   * Writes every item to `destination` (such as `redisStream({ key })` from `"sluice/redis"`)
   * in batches of `batch` items (a partial one after `maxWait`), `concurrency` writes at
   * once, each resolving once the far end has the batch: the end of the pipeline, like
   * `forEach`. Two stages show in summaries: the batching (`<name>:batch`) and the writes
   * (`<name>`). Each run opens its own writer on its first write and closes it once settled.
   *
   * @example
   * await from(rows).map(enrich).to(redisStream({ key: "enriched" })).run();
   * @throws {InvalidOptionError} when `destination` is not one, or an option is invalid.
   */
  to(destination: Destination<T>, options?: ToOptions<T>): Sink {
    if (!isDestination(destination)) {
      throw invalid(
        "to(destination)",
        'a destination such as redisStream({ key }) from "sluice/redis"',
        destination,
      );
    }
    const raw = checkOptionsObject("to", options, [
      "batch",
      "maxWait",
      "concurrency",
      "onError",
      "deadLetter",
      "retry",
      "timeout",
      "name",
      "key",
    ]);
    const name = raw.name ?? destination.name;
    const key = optionalFunction<(item: unknown) => unknown>("to.key", raw.key);
    if (key === undefined && (destination.partitions ?? 1) > 1) {
      throw new InvalidOptionError(
        `Option \`to.key\` is needed: ${destination.name} has ${destination.partitions} partitions, and an item's key picks its partition`,
        "to.key",
        undefined,
      );
    }
    const batched = this.#with<T[]>(
      batchStageSpec(this.#position, {
        size: integerOption("to.batch", raw.batch, 100, 1),
        maxWait: raw.maxWait ?? 5,
        name: `${String(name)}:batch`,
      }),
    );
    const { batch: _batch, maxWait: _maxWait, key: _key, ...stageOptions } = raw;
    const writes = functionStageSpec("forEach", batched.#position, unboundWrite, {
      concurrency: 4,
      ...stageOptions,
      name,
    });
    return batched.#with(
      Object.freeze({
        ...writes,
        destination,
        ...(key === undefined ? {} : { destinationKey: key }),
      }),
    );
  }

  /**
   * Groups items into arrays of `size`, in input order; a partial batch goes out `maxWait`
   * after its first item arrived, and at the end of the input.
   *
   * @example
   * from(rows).batch({ size: 500, maxWait: "100ms" }).forEach((batch) => db.insertMany(batch))
   */
  batch(options: BatchOptions): Pipeline<T[]> {
    return this.#with(batchStageSpec(this.#position, options));
  }

  /**
   * Passes the first `count` items, then stops pulling: the source's iterator is closed,
   * work still in flight upstream is cancelled, and the run completes (outcome
   * `"completed"`) once the stages after this one have finished.
   *
   * @example
   * const firstTen = await from(endless()).map(fetchPage).take(10).run().collect();
   */
  take(count: number, options?: StepOptions): Pipeline<T> {
    return this.#with(countStageSpec("take", this.#position, count, options));
  }

  /**
   * Skips the first `count` items (counted as `filtered`) and passes the rest.
   *
   * @example
   * from(csvLines).drop(1) // the header
   */
  drop(count: number, options?: StepOptions): Pipeline<T> {
    return this.#with(countStageSpec("drop", this.#position, count, options));
  }

  /**
   * Emits the running accumulator: `acc = fn(acc, item, index)`, starting from `initial`,
   * once per item, in input order. `fn` must be synchronous (do async work in a `map`
   * before it); a throw fails the run with a `StageError`.
   *
   * @example
   * from([1, 2, 3]).scan((sum, x) => sum + x, 0) // 1, 3, 6
   */
  scan<A>(
    fn: (accumulator: A, item: T, index: number) => A,
    initial: A,
    options?: StepOptions,
  ): Pipeline<A> {
    return this.#with(scanStageSpec(this.#position, fn, initial, options));
  }

  /**
   * Passes each item whose key (`key(item)`, or the item itself) was not seen before; the
   * others are counted as `filtered`. Keys compare with `SameValueZero` (as a `Set` does).
   * Memory grows with the number of distinct keys unless `limit` bounds it: then at most
   * `limit` keys are kept, the least recently seen forgotten first.
   *
   * @example
   * from(events).distinct((event) => event.id, { limit: 100_000 })
   */
  distinct(key?: (item: T) => unknown, options?: DistinctOptions): Pipeline<T> {
    return this.#with(distinctStageSpec(this.#position, key, options));
  }

  /**
   * Starts nothing yet: returns a {@link Run}, consumed once by iterating it, `collect()`,
   * `drain()` or another terminal, or by awaiting it (which drains it and resolves to the
   * summary). Each call is an independent run.
   */
  run(options?: RunOptions): Run<T> {
    const raw = checkOptionsObject("run", options, [
      "signal",
      "metrics",
      "trace",
      "logger",
      "logEvery",
    ]);
    const signal = signalOption("run.signal", raw.signal);
    const observers = runObservers(raw);
    // An acknowledged source's run tracks every item back to its delivery (src/ledger/).
    const source = this.#source;
    // `.to()` stages write through writers of this run's own, closed when it settles.
    const writers = new RunWriters();
    const specs = writers.bind(this.#stages);
    if (!isAcknowledged(source)) {
      return new Run<T>(source, specs, this.#sourceBuffer, signal, observers, writers);
    }
    const ledger = new Ledger(source, this.#sourceBuffer);
    return new Run<T>(
      ledger.source,
      ledger.specs(specs),
      this.#sourceBuffer,
      signal,
      observers,
      writers,
      ledger,
    );
  }

  /**
   * @internal Whether the source is acknowledged (a broker consumer): `sluice run` then stops
   * it gracefully on SIGTERM. Not part of the public API.
   */
  get acknowledged(): boolean {
    return isAcknowledged(this.#source);
  }

  /**
   * @internal For tools that run a pipeline in a changed form (`tune()`): the stages' specs as
   * built. Not part of the public API.
   */
  get specs(): readonly StageSpec[] {
    return this.#stages;
  }

  /**
   * @internal The same source with other stage specs (`tune()` puts a `take` first and times
   * a stage's calls). Not part of the public API.
   */
  withSpecs<O>(specs: readonly StageSpec[]): Pipeline<O> {
    return new Pipeline<O>(this.#source, specs, this.#sourceBuffer);
  }

  get #position(): number {
    return this.#stages.length + 1;
  }

  #with<O>(spec: StageSpec): Pipeline<O> {
    const last = this.#stages.at(-1);
    if (last?.kind === "forEach" && last.onError !== "collect") {
      throw new InvalidOptionError(
        `Cannot add \`${spec.kind}\` after \`${last.name}\`: a forEach consumes every item and emits nothing, so a stage after it would never run; end the pipeline with forEach and call run(), use tap() to act on items and pass them on, or give forEach \`onError: "collect"\` to process its failures`,
        spec.kind,
        spec.name,
      );
    }
    return new Pipeline<O>(
      this.#source,
      Object.freeze([...this.#stages, spec]),
      this.#sourceBuffer,
    );
  }
}

/** A `.to()` stage's function until a run binds it to its writer (`RunWriters`). */
function unboundWrite(): never {
  throw new Error("A .to() stage ran without its run's writer");
}

/** A stage's public description: its settings without its functions. */
export function describeStage(spec: StageSpec): StageDescription {
  switch (spec.kind) {
    case "batch": {
      const { name, kind, buffer, size, maxWait } = spec;
      return Number.isFinite(maxWait)
        ? { name, kind, buffer, size, maxWait }
        : { name, kind, buffer, size };
    }
    case "take":
    case "drop":
      return { name: spec.name, kind: spec.kind, buffer: spec.buffer, count: spec.count };
    case "scan":
      return { name: spec.name, kind: spec.kind, buffer: spec.buffer };
    case "distinct":
      return Number.isFinite(spec.limit)
        ? { name: spec.name, kind: spec.kind, buffer: spec.buffer, limit: spec.limit }
        : { name: spec.name, kind: spec.kind, buffer: spec.buffer };
    default: {
      const { name, kind, concurrency, ordered, buffer, onError, executor } = spec;
      return executor === undefined
        ? { name, kind, concurrency, ordered, buffer, onError }
        : { name, kind, concurrency, ordered, buffer, onError, executor: executor.description };
    }
  }
}
