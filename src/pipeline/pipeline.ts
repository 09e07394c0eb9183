import { type AcknowledgedSource, isAcknowledged } from "../contract/acknowledged.js";
import { isCheckpointed } from "../checkpoint/checkpointed-source.js";
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
  enumOption,
  functionArgument,
  integerOption,
  invalid,
  optionalFunction,
  signalOption,
  stringOption,
} from "../internal/validate.js";
import { defaults } from "./defaults.js";
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
  LoopOptions,
  RouteOptions,
  StepOptions,
  TeeOptions,
  ToOptions,
} from "./options.js";
import { Run } from "./run.js";
import { RunAttachments } from "./run-attachments.js";

/** Stage options that make a stage emit `Result`s instead of failing. */
export type CollectOptions<I, R = unknown> = StageOptions<I, R> & { readonly onError: "collect" };

/** Stage options that leave the output as it is: `onError` is `"fail"` or `"skip"`, or unset. */
export type PlainOptions<I, R = unknown> = StageOptions<I, R> & {
  readonly onError?: "fail" | "skip";
};

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
  map<O, R = unknown>(
    fn: StageFn<T, O, R> | Executor<T, O>,
    options: CollectOptions<T, R>,
  ): Pipeline<Result<O, T>>;
  map<O, R = unknown>(
    fn: StageFn<T, O, R> | Executor<T, O>,
    options?: PlainOptions<T, R>,
  ): Pipeline<O>;
  map<O, R = unknown>(
    fn: StageFn<T, O, R> | Executor<T, O>,
    options: StageOptions<T, R>,
  ): Pipeline<O | Result<O, T>>;
  map<O, R = unknown>(
    fn: StageFn<T, O, R> | Executor<T, O>,
    options?: StageOptions<T, R>,
  ): Pipeline<unknown> {
    return this.#with(functionStageSpec("map", this.#position, fn, options));
  }

  /** Keeps the items for which `fn` returns (or resolves to) a truthy value. */
  filter<S extends T, R = unknown>(
    fn: (item: T, ctx: StageContext<R>) => item is S,
    options?: PlainOptions<T, R>,
  ): Pipeline<S>;
  filter<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options: CollectOptions<T, R>,
  ): Pipeline<Result<T, T>>;
  filter<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options?: PlainOptions<T, R>,
  ): Pipeline<T>;
  filter<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options: StageOptions<T, R>,
  ): Pipeline<T | Result<T, T>>;
  filter<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options?: StageOptions<T, R>,
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
  flatMap<R = unknown>(
    fn: StageFn<T, Readable, R>,
    options: CollectOptions<T, R>,
  ): Pipeline<Result<unknown, T>>;
  flatMap<R = unknown>(
    fn: StageFn<T, Readable, R>,
    options?: PlainOptions<T, R>,
  ): Pipeline<unknown>;
  flatMap<O, R = unknown>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>, R> | Executor<T, Iterable<O> | AsyncIterable<O>>,
    options: CollectOptions<T, R>,
  ): Pipeline<Result<O, T>>;
  flatMap<O, R = unknown>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>, R> | Executor<T, Iterable<O> | AsyncIterable<O>>,
    options?: PlainOptions<T, R>,
  ): Pipeline<O>;
  flatMap<O, R = unknown>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>, R> | Executor<T, Iterable<O> | AsyncIterable<O>>,
    options: StageOptions<T, R>,
  ): Pipeline<O | Result<O, T>>;
  /** An executor whose function's return type is not known: its values are `unknown`. */
  flatMap<R = unknown>(fn: Executor<T, unknown>, options?: StageOptions<T, R>): Pipeline<unknown>;
  flatMap<O, R = unknown>(
    fn: StageFn<T, Iterable<O> | AsyncIterable<O>, R> | Executor<T, unknown>,
    options?: StageOptions<T, R>,
  ): Pipeline<unknown> {
    return this.#with(functionStageSpec("flatMap", this.#position, fn, options));
  }

  /** Calls `fn` for its side effect and passes each item on unchanged. */
  tap<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options: CollectOptions<T, R>,
  ): Pipeline<Result<T, T>>;
  tap<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options?: PlainOptions<T, R>,
  ): Pipeline<T>;
  tap<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options: StageOptions<T, R>,
  ): Pipeline<T | Result<T, T>>;
  tap<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options?: StageOptions<T, R>,
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
  forEach<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options: CollectOptions<T, R>,
  ): Pipeline<Failure<T>>;
  forEach<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options?: PlainOptions<T, R>,
  ): Sink;
  forEach<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options: StageOptions<T, R>,
  ): Pipeline<Failure<T>> | Sink;
  forEach<R = unknown>(
    fn: StageFn<T, unknown, R> | Executor<T, unknown>,
    options?: StageOptions<T, R>,
  ): Pipeline<unknown> | Sink {
    return this.#with(functionStageSpec("forEach", this.#position, fn, options));
  }

  /**
   * A bounded retry loop: each item runs through `body`, a pipeline built on the one `body`
   * receives (`back => back.map(call).map(store)`), and an item something derived from which
   * failed there (a throw in any of the body's function stages) goes round again, back to the
   * body's first stage, at most `times` times more. An item that fails its last time round
   * then goes through `onError`: `"fail"` (default) fails the run with a `StageError` naming
   * the loop and the item (its `cause` the last error); `"skip"` drops it, counted as failed.
   * What the body emits comes out; the body's stages keep their widths and policies (a stage
   * with `onError: "collect"` emits its failures instead of sending them round). Every item
   * goes round a bounded number of times, so the run ends. `run.stats()` shows the loop's
   * `retried` count and its body's run under `branches` (`<loop>.body`). A body's flatMap
   * that emitted values before a later failure emits them again on the next time round.
   *
   * @example
   * from(payments).loop((back) => back.map(charge, { timeout: "5s" }), { times: 3, onError: "skip" })
   * @throws {InvalidOptionError} when `body` does not return a pipeline built on its argument,
   *   an option is invalid, or the source is a broker's.
   */
  loop<O>(body: (back: Pipeline<T>) => Pipeline<O> | Sink, options: LoopOptions): Pipeline<O> {
    const make = functionArgument<(back: Pipeline<T>) => unknown>(
      "loop.body",
      body,
      "a function back => a pipeline built on back",
    );
    this.#refuseAcknowledged("loop", {
      checkpoint:
        "the checkpoint counts an item completed once it leaves the main path; give the stage a `retry` instead",
      broker:
        "a broker redelivers a failed message itself (`maxDeliveries`), and a stage's `retry` retries a call",
    });
    if (options === undefined) {
      throw invalid("loop", "an options object with `times`: { times: 3 }", options);
    }
    const raw = checkOptionsObject("loop", options, ["times", "onError", "buffer", "name"]);
    if (raw.times === undefined) {
      throw invalid("loop.times", "an integer >= 1 (times an item may go round again)", raw.times);
    }
    const times = integerOption("loop.times", raw.times, 1, 1);
    const onError = enumOption("loop.onError", raw.onError, ["fail", "skip"] as const, "fail");
    const buffer = integerOption("loop.buffer", raw.buffer, 64, 1);
    const name = stringOption("loop.name", raw.name, `loop#${this.#position}`);
    const built = Pipeline.#branch(make, "loop.body", "the body", "back => back.map(…)", {
      empty: "a body",
      example: "back => back.map(…)",
    });
    // A failure in the body sends its item round again: the body's "fail" stages skip it
    // (its delivery is nacked), and the loop decides.
    const looped = built.withSpecs<O>(
      built.#stages.map((spec) =>
        "concurrency" in spec && spec.onError === "fail"
          ? Object.freeze({ ...spec, onError: "skip" as const })
          : spec,
      ),
    );
    return this.#with(
      Object.freeze({ kind: "loop" as const, name, buffer, times, onError, body: looped }),
    );
  }

  /**
   * A diamond: each item goes to the branch `route(item)` names, a pipeline built on the one
   * the branch's function receives (`a: (p) => p.map(parseA)`), and the branches' outputs
   * are merged after it (round robin, so a busy branch does not starve another), typed as
   * the union of their outputs (a branch that ends in `forEach` emits nothing). Each branch
   * runs with its own stages and widths, fed through a buffer of `buffer` items; a full one
   * holds the route back, so backpressure reaches the main path. An item whose `route`
   * throws or names no branch fails the run with a `StageError`, and so does a branch that
   * fails (with its own error); cancelling the run cancels every branch. `run.stats()` shows
   * each branch under `branches` (`<route>.<branch>`: offered, queued and its run's summary).
   *
   * @example
   * from(events).route((e) => e.type, {
   *   click: (p) => p.map(enrichClick, { concurrency: 32 }),
   *   view: (p) => p.batch({ size: 500 }).map(summarize),
   * }).forEach(store);
   * @throws {InvalidOptionError} when `route` is not a function, a branch does not return a
   *   pipeline built on its argument, an option is invalid, or the source is a broker's.
   */
  route<B extends Readonly<Record<string, (branch: Pipeline<T>) => Pipeline<unknown> | Sink>>>(
    route: (item: T) => keyof B & string,
    branches: B,
    options?: RouteOptions,
  ): Pipeline<RoutedItem<B>> {
    const fn = functionArgument<(item: unknown) => unknown>(
      "route.route",
      route,
      "a function item => the name of its branch",
    );
    if (typeof branches !== "object" || branches === null || Array.isArray(branches)) {
      throw invalid("route.branches", "an object of branches: { name: (p) => p.map(…) }", branches);
    }
    const names = Object.keys(branches);
    if (names.length === 0) {
      throw invalid("route.branches", "an object with one branch or more", branches);
    }
    this.#refuseAcknowledged("route", {
      checkpoint:
        "each branch runs on its own, and an item would count as completed before its branch had finished with it; use flatMap with a switch",
      broker:
        "each branch runs on its own, and a message would be acked before its branch had finished with it; route in a worker of its own per message type (a subject or key each), or use flatMap with a switch",
    });
    const raw = checkOptionsObject("route", options, ["buffer", "name"]);
    const buffer = integerOption("route.buffer", raw.buffer, 64, 1);
    const name = stringOption("route.name", raw.name, `route#${this.#position}`);
    const built: Record<string, object> = {};
    for (const branchName of names) {
      const path = `route.branches.${branchName}`;
      const make = functionArgument<(side: Pipeline<T>) => unknown>(
        path,
        (branches as Record<string, unknown>)[branchName],
        "a function p => a pipeline built on p",
      );
      built[branchName] = Pipeline.#branch(make, path, "the branch", "p => p.map(…)");
    }
    return this.#with(
      Object.freeze({
        kind: "route" as const,
        name,
        buffer,
        route: fn,
        branches: Object.freeze(built),
      }),
    );
  }

  /**
   * A side path: every item goes on unchanged, and is also offered to `branch`, a pipeline
   * built on the one `branch` receives (`side => side.map(audit).forEach(store)`), which runs
   * beside the main path with a buffer of its own. `mode: "drop"` (the default) never holds
   * the main path back: an item the full buffer has no room for is dropped from the side path
   * and counted; `"block"` waits for room, so a slow branch slows the main path. The run ends
   * once the branch has read its buffer to the end; a branch that fails fails the run (with
   * its error, through this stage); cancelling the run cancels the branch. `run.stats()`
   * shows each branch under `branches`: offered, dropped, queued and its run's own summary.
   *
   * @example
   * from(orders).tee((side) => side.map(toAuditRow).forEach(writeAudit), { buffer: 10_000 })
   *   .map(charge).forEach(ship);
   * @throws {InvalidOptionError} when `branch` does not return a pipeline built on its argument, or an option is invalid.
   */
  tee(branch: (side: Pipeline<T>) => Pipeline<unknown> | Sink, options?: TeeOptions): Pipeline<T> {
    const fn = functionArgument<(side: Pipeline<T>) => unknown>(
      "tee.branch",
      branch,
      "a function side => a pipeline built on side",
    );
    const raw = checkOptionsObject("tee", options, ["buffer", "mode", "name"]);
    const buffer = integerOption("tee.buffer", raw.buffer, 1_024, 1);
    const mode = enumOption("tee.mode", raw.mode, ["drop", "block"] as const, "drop");
    const name = stringOption("tee.name", raw.name, `tee#${this.#position}`);
    const built = Pipeline.#branch(
      fn,
      "tee.branch",
      "the branch",
      "side => side.map(…).forEach(…)",
      { empty: "a branch", example: "side => side.forEach(…)" },
    );
    const spec = functionStageSpec("tap", this.#position, unboundTee, { concurrency: 1, name });
    return this.#with(
      Object.freeze({ ...spec, tee: Object.freeze({ branch: built, buffer, mode }) }),
    );
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
    // `.to()` stages write through writers of this run's own, and `.tee()` stages feed
    // branch runs of its own, let go when it settles.
    const attachments = new RunAttachments();
    const specs = attachments.bind(this.#stages);
    if (!isAcknowledged(source)) {
      return new Run<T>(source, specs, this.#sourceBuffer, signal, observers, attachments);
    }
    const ledger = new Ledger(source, this.#sourceBuffer);
    return new Run<T>(
      ledger.source,
      ledger.specs(specs),
      this.#sourceBuffer,
      signal,
      observers,
      attachments,
      ledger,
    );
  }

  /**
   * Refuses `option` after an acknowledged source, with why: a checkpointed source's reason,
   * or a broker's.
   */
  #refuseAcknowledged(option: string, why: { checkpoint: string; broker: string }): void {
    if (!isAcknowledged(this.#source)) return;
    const [source, reason] = isCheckpointed(this.#source)
      ? ["a checkpointed source", why.checkpoint]
      : ["a broker source", why.broker];
    throw new InvalidOptionError(
      `Option \`${option}\` cannot follow ${source}: ${reason}`,
      option,
      undefined,
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

  /**
   * @internal The same stages over another source (a `.tee()` branch over its run's side
   * path). Not part of the public API.
   */
  withSource(source: Source<unknown> | AcknowledgedSource<unknown>): Pipeline<T> {
    return new Pipeline<T>(source, this.#stages, this.#sourceBuffer);
  }

  /** @internal Whether this pipeline reads `source` (a branch built on a tee's side path). */
  readsFrom(source: unknown): boolean {
    return this.#source === source;
  }

  /**
   * Builds a branch (of `.tee()`, `.route()`, a `.loop()` body) by calling `make` with a
   * pipeline on the placeholder source each run replaces; refuses what is not a pipeline
   * built on it (`path`, naming `what` it should return, shown as `example`), and, with
   * `nonEmpty`, one without a stage.
   */
  static #branch<T>(
    make: (side: Pipeline<T>) => unknown,
    path: string,
    what: string,
    example: string,
    nonEmpty?: { readonly empty: string; readonly example: string },
  ): Pipeline<unknown> {
    const built = make(new Pipeline<T>(teeSide, Object.freeze([]), defaults.sourceBuffer));
    if (!(built instanceof Pipeline) || !built.readsFrom(teeSide)) {
      throw invalid(
        path,
        `a function that returns ${what}, a pipeline built on the one it receives (${example})`,
        built,
      );
    }
    if (nonEmpty !== undefined && built.#stages.length === 0) {
      throw invalid(
        path,
        `a function that returns ${nonEmpty.empty} with at least one stage (${nonEmpty.example})`,
        built,
      );
    }
    return built as Pipeline<unknown>;
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

/** A `.tee()` stage's function until a run binds it to its branch (`RunAttachments`). */
function unboundTee(): never {
  throw new Error("A .tee() stage ran without its run's branch");
}

/**
 * The source a `.tee()` or `.route()` branch (or a `.loop()` body) is built on: each run
 * reads its own side path instead.
 */
function teeSide(): never {
  throw new InvalidOptionError(
    "A branch (of .tee() or .route()) runs only inside the runs of the pipeline it branches from",
    "branch",
    undefined,
  );
}

/** The items a `.route()` emits: the union of its branches' outputs. */
export type RoutedItem<B> = {
  [K in keyof B]: B[K] extends (branch: never) => infer P
    ? P extends Pipeline<infer O>
      ? O
      : never
    : never;
}[keyof B];

/** A `.to()` stage's function until a run binds it to its writer (`RunAttachments`). */
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
    case "loop":
      return {
        name: spec.name,
        kind: spec.kind,
        buffer: spec.buffer,
        times: spec.times,
        onError: spec.onError,
        body: (spec.body as Pipeline<unknown>).stages,
      };
    case "route":
      return {
        name: spec.name,
        kind: spec.kind,
        buffer: spec.buffer,
        branches: Object.keys(spec.branches),
      };
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
