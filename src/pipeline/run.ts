import { setMaxListeners } from "node:events";
import type { Readable } from "node:stream";
import type { Ledger } from "../ledger/ledger.js";
import type { RunAttachments } from "./run-attachments.js";
import { RunControl } from "../contract/run-control.js";
import type { Stage, StageInput } from "../contract/stage.js";
import type { StageSpec } from "../contract/stage-spec.js";
import type { RunOutcome, RunSummary } from "../contract/summary.js";
import type { Source } from "../contract/types.js";
import { CancelledError } from "../errors/cancelled-error.js";
import { RunConsumedError } from "../errors/run-consumed-error.js";
import { isResourceError } from "../errors/resource-error.js";
import { SourceError } from "../errors/source-error.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { functionArgument, invalid } from "../internal/validate.js";
import { openSource } from "../source/open-source.js";
import type { SourceInput } from "../source/source-input.js";
import { buildStage } from "../stage/build-stage.js";
import { initialWidth, kIdleCounters, stageStats } from "../stage/stage-stats.js";
import type { ConsumableRun } from "./consumable-run.js";
import { type ToReadableOptions, toReadable } from "./to-readable.js";
import { type ToWebOptions, toWeb } from "./to-web.js";
import { EventLoopProbe } from "../observe/event-loop-probe.js";
import { everyOption, metricsDefaults, type OnMetricsOptions } from "../observe/metrics-options.js";
import { metricsSnapshot } from "../observe/metrics-snapshot.js";
import type { RunMetrics } from "../observe/run-metrics.js";
import { kUnobserved, type RunObservers } from "../observe/run-observers.js";
import { logRunSettled, logRunStarted } from "../observe/run-log.js";

/** An `onMetrics` subscription: its listener and its timer. */
interface MetricsWatcher {
  readonly listener: (metrics: RunMetrics) => void;
  timer: NodeJS.Timeout | undefined;
}

/** The consumer's chunk when it holds none; shared, never written. */
const kNoItems: readonly unknown[] = Object.freeze([]);

/**
 * One execution of a pipeline: the owner of its source, stages, timers and channels, and
 * the consumer of its output.
 *
 * A run starts when it is first consumed, and is consumed once: by iterating it, by one
 * terminal (`collect()`, `drain()`, `reduce()`, `some()`, `every()`, `find()`, `toArray()`,
 * `toReadable()`, `toWeb()`), or by awaiting it, which drains it and resolves to the summary
 * (`await p.forEach(write).run()`). A second consumer throws a {@link RunConsumedError}. A
 * run that is never consumed never starts.
 *
 * It settles once every part has settled; when it stops early, calls that ignore their
 * aborted `ctx.signal` get one turn of the event loop and are then abandoned (counted, their
 * late results dropped), so a consumer learns the outcome at once.
 */
export class Run<T> implements AsyncIterableIterator<T>, PromiseLike<RunSummary> {
  readonly #controller = new AbortController();
  readonly #sourceController = new AbortController();
  /** What the source and stages see of this run. */
  readonly #control = new RunControl(
    this.#controller.signal,
    (error) => this.#stop("failed", error),
    (stage) => this.#endBefore(stage),
    (error) => this.#cleanupFailed(error),
  );
  readonly #source: Source<unknown>;
  readonly #specs: readonly StageSpec[];
  readonly #sourceBuffer: number;
  readonly #userSignal: AbortSignal | undefined;
  #input: SourceInput<unknown> | undefined;
  #stages: Stage[] = [];
  #output: StageInput<unknown> | undefined;
  #consumer: string | undefined;
  #partsDone = false;
  #outputEnded = false;
  #outcome: RunOutcome = "running";
  #error: unknown;
  /** Stopped by its consumer (a `break`, an answer found): nothing to throw. */
  #quiet = false;
  #started = false;
  #paused = false;
  /** `finish()` was called: the source is read no more. */
  #finishing = false;
  /** Widths set by `setConcurrency()`, by stage position: applied when the stages are built. */
  readonly #widths = new Map<number, number>();
  #startedAt = 0;
  #settledAt = 0;
  #delivered = 0;
  #undelivered = 0;
  #buffer: readonly unknown[] = kNoItems;
  #position = 0;
  #wakeConsumer: (() => void) | undefined;
  #resolveSettled!: (summary: RunSummary) => void;
  /** Calls timed per stage, one in this many; 0: no latencies recorded. */
  #sampleEvery: number;
  #maxSamplesPerSecond: number;
  #loopProbe: EventLoopProbe | undefined;
  /** The writers of the run's `.to()` stages and its `.tee()` branches, let go before it settles. */
  readonly #attachments: RunAttachments | undefined;
  /** Tracks items back to their deliveries when the source is acknowledged. */
  readonly #ledger: Ledger | undefined;
  /** The run's tracer and logger, from its options. */
  readonly #observers: RunObservers;
  /** `onMetrics` subscriptions: each listener with its timer. */
  readonly #watchers = new Set<MetricsWatcher>();
  /**
   * Resolves with the final summary once the run has settled, whatever the outcome; never
   * rejects. Use it to wait for a run you cancelled or whose consumer you abandoned.
   */
  readonly settled = new Promise<RunSummary>((resolve) => {
    this.#resolveSettled = resolve;
  });

  /** @internal Built by `Pipeline.run()`. */
  constructor(
    source: Source<unknown>,
    specs: readonly StageSpec[],
    sourceBuffer: number,
    signal: AbortSignal | undefined,
    observers: RunObservers = kUnobserved,
    attachments?: RunAttachments,
    ledger?: Ledger,
  ) {
    this.#attachments = attachments;
    this.#ledger = ledger;
    this.#sampleEvery = observers.sampleEvery;
    this.#maxSamplesPerSecond = observers.maxSamplesPerSecond;
    this.#observers = observers;
    // A source function may hand its signal to many listeners (one per pending read).
    setMaxListeners(0, this.#sourceController.signal);
    this.#source = source;
    this.#specs = specs;
    this.#sourceBuffer = sourceBuffer;
    this.#userSignal = signal;
    if (signal !== undefined) {
      if (signal.aborted) this.#stop("cancelled", signal.reason);
      else signal.addEventListener("abort", this.#onUserAbort, { once: true });
    }
  }

  /**
   * Cancels the run: stops pulling the source (its iterator gets `return()`), aborts every
   * in-flight call's `ctx.signal` and drops buffered items (counted as discarded). Consumers
   * then throw a {@link CancelledError} with `reason` as its cause. Resolves with the
   * summary once the run has settled. Does nothing to a run that already ended.
   */
  cancel(reason?: unknown): Promise<RunSummary> {
    this.#stop("cancelled", reason ?? new DOMException("The run was cancelled", "AbortError"));
    return this.settled;
  }

  /**
   * Stops reading the source and lets what was read finish: the items already taken from
   * the source go on through every stage, and the run then completes. A broker worker's
   * graceful stop (`sluice run` calls it on SIGTERM/SIGINT for a pipeline whose source is
   * acknowledged): no new message is fetched, the ones in flight are finished and acked.
   * Does nothing to a run that is stopping or has settled; a run finished before it starts
   * completes without reading anything.
   */
  finish(): void {
    if (this.#settledAt !== 0 || this.#control.stopped || this.#finishing) return;
    this.#finishing = true;
    if (!this.#started) return;
    this.#sourceController.abort(new DOMException("run.finish() was called", "AbortError"));
    this.#input?.stop(true);
  }

  /**
   * Pauses the run: no stage starts a new item and the source is no longer read (an async
   * source may finish the one chunk it reads ahead); items already inside a function finish
   * and flow on. Stays paused until {@link resume}. Cancelling a paused run settles it.
   * Does nothing to a paused or settled run.
   */
  pause(): void {
    if (this.#paused || this.#settledAt !== 0) return;
    this.#paused = true;
    this.#control.pause();
    for (const stage of this.#stages) stage.gate?.setPaused(true);
  }

  /** Ends a {@link pause}: stages start items and the source is read again. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#control.resume();
    for (const stage of this.#stages) stage.gate?.setPaused(false);
  }

  /** Whether the run is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Sets the width of the function stage named `stageName` (its `name` option, or
   * `<kind>#<position>` such as `map#1`) to `concurrency` while the run goes: a lower width
   * starts nothing new until enough calls finish; a higher one starts more at once, up to
   * what the stage's buffer holds. `run.stats()` reports it as the stage's `limit`. May be
   * called before the run starts. Throws an `InvalidOptionError` for an unknown stage, a
   * stage that is not a function stage or whose width an adaptive limiter sets, or a width
   * that is not an integer >= 1.
   */
  setConcurrency(stageName: string, concurrency: number): void {
    const at = this.#specs.findIndex((spec) => spec.name === stageName);
    const spec = this.#specs[at];
    if (spec === undefined) {
      const names = this.#specs.map((s) => s.name).join(", ");
      throw invalid(
        "run.setConcurrency(stageName)",
        `the name of one of the pipeline's stages (${names})`,
        stageName,
      );
    }
    if (!("concurrency" in spec)) {
      throw invalid(
        "run.setConcurrency(stageName)",
        "the name of a map, filter, flatMap, tap or forEach stage",
        stageName,
      );
    }
    if (spec.limiter !== undefined) {
      throw new InvalidOptionError(
        `Stage "${stageName}" has an adaptive limiter as its \`concurrency\`: its width is the limiter's to set, not run.setConcurrency()'s`,
        "run.setConcurrency(stageName)",
        stageName,
      );
    }
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw invalid("run.setConcurrency(concurrency)", "an integer >= 1", concurrency);
    }
    if (this.#settledAt !== 0) return;
    this.#widths.set(at, concurrency);
    this.#stages[at]?.gate?.setLimit(concurrency);
  }

  /**
   * A snapshot for watching the run: the counters of {@link stats} (the same numbers) with
   * each stage's queue depth, failures by error class and sampled latency histograms
   * (processing and queue time), and the process around it (event-loop delay, active
   * resources, RSS, heap). Latencies are recorded when the run was started with
   * `run({ metrics })` or had an `onMetrics` listener before it started; otherwise the
   * histograms are empty. Costs a copy of each histogram (138 numbers) per stage.
   */
  metrics(): RunMetrics {
    return metricsSnapshot(this.stats(), this.#stages, this.#sampleEvery, this.#loopProbe);
  }

  /**
   * Calls `listener` with {@link metrics} every `every` ms (default 1 s) while the run goes,
   * and once more when it settles, with the final figures; then stops. Subscribing before the
   * run starts turns latency recording on (one call in 64 timed per stage) if `run({
   * metrics })` did not. The timer is unref'd: it never keeps the process alive by itself.
   * A listener that throws fails the run (after the run settled, its error is rethrown
   * asynchronously). Returns a function that unsubscribes. On a settled run the listener
   * hears the final metrics once, on the next microtask.
   */
  onMetrics(listener: (metrics: RunMetrics) => void, options?: OnMetricsOptions): () => void {
    functionArgument("run.onMetrics(listener)", listener);
    const every = everyOption(options);
    const watcher: MetricsWatcher = { listener, timer: undefined };
    if (this.#settledAt !== 0) {
      queueMicrotask(() => this.#tell(watcher, this.metrics()));
      return () => {};
    }
    if (!this.#started && this.#sampleEvery === 0) {
      this.#sampleEvery = metricsDefaults.sampleEvery;
      this.#maxSamplesPerSecond = metricsDefaults.maxSamplesPerSecond;
    }
    watcher.timer = setInterval(() => this.#tell(watcher, this.metrics()), every);
    watcher.timer.unref();
    this.#watchers.add(watcher);
    return () => {
      clearInterval(watcher.timer);
      this.#watchers.delete(watcher);
    };
  }

  #tell(watcher: MetricsWatcher, metrics: RunMetrics): void {
    try {
      watcher.listener(metrics);
    } catch (error) {
      // A broken listener hears nothing more: not even the final snapshot of the run it failed.
      clearInterval(watcher.timer);
      this.#watchers.delete(watcher);
      if (this.#settledAt === 0 && this.#outcome === "running") this.#stop("failed", error);
      else
        queueMicrotask(() => {
          throw error;
        });
    }
  }

  /** A snapshot of the counters now: cheap, safe to call from a progress timer. */
  stats(): RunSummary {
    const end = this.#settledAt || performance.now();
    const durationMs = this.#started ? end - this.#startedAt : 0;
    const pulled = this.#input?.pulled ?? 0;
    const stages =
      this.#stages.length > 0
        ? this.#stages.map((stage) => {
            const stats = stage.stats();
            return stats.failed > 0 ? { ...stats, failedBy: stage.failedBy() } : stats;
          })
        : this.#specs.map((spec, position) =>
            stageStats(spec, this.#widths.get(position) ?? initialWidth(spec), kIdleCounters),
          );
    const last = this.#specs.at(-1);
    const sink = last?.kind === "forEach" && last.onError !== "collect";
    const summary: {
      -readonly [K in keyof RunSummary]: RunSummary[K];
    } = {
      outcome: this.#outcome,
      pulled,
      delivered: this.#delivered,
      consumed: sink ? stages.at(-1)!.out : 0,
      undelivered: this.#undelivered,
      stages,
      durationMs,
      itemsPerSecond: durationMs > 0 ? (pulled * 1000) / durationMs : 0,
    };
    if (this.#outcome === "failed" || (this.#outcome === "cancelled" && !this.#quiet)) {
      summary.error = this.#error;
    }
    if (this.#ledger !== undefined) summary.deliveries = this.#ledger.stats();
    const branches = [
      ...(this.#attachments?.branches() ?? []),
      ...this.#stages.flatMap((stage) => stage.branches?.() ?? []),
    ];
    if (branches.length > 0) summary.branches = branches;
    return summary;
  }

  /**
   * Awaiting a run drains it: `await p.forEach(write).run()` processes every item and
   * resolves to the summary, rejecting as `drain()` would. On a run another consumer already
   * reads, it waits for that run's outcome instead. Being a thenable, a run returned from an
   * `async` function is drained by it: return the pipeline (or `{ run }`) to hand a run on.
   */
  then<A = RunSummary, B = never>(
    onFulfilled?: ((summary: RunSummary) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    // A run read only by next() so far is drained of the rest: nobody else will read it.
    const outcome =
      this.#consumer === undefined || this.#consumer === "next()"
        ? this.drain()
        : this.#throwOutcome().then(() => this.settled);
    return outcome.then(onFulfilled, onRejected);
  }

  /** The run as an async iterator: its one consumer. A second `for await` throws. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    this.#claim("for await", "iterate it with for await");
    return this;
  }

  /**
   * The next output. Values come from a chunk already taken from the last stage, so most
   * calls cost one resolved promise and no trip through the stages.
   */
  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#position < this.#buffer.length) {
      this.#delivered++;
      return Promise.resolve({ done: false, value: this.#buffer[this.#position++] as T });
    }
    if (this.#consumer !== "for await" && this.#consumer !== "next()") {
      try {
        this.#claim("next()", "call next()");
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#nextChunk();
  }

  /**
   * Called by `break` in a `for await` loop: stops quietly and waits for the run to settle.
   * Rethrows an error the source's cleanup (its iterator's `return()`) threw, as a native
   * `for await` would.
   */
  async return(): Promise<IteratorResult<T, undefined>> {
    this.#stop("cancelled", undefined, true);
    const summary = await this.settled;
    if (summary.outcome === "failed" && isCleanupError(this.#error)) throw this.#error;
    return { done: true, value: undefined };
  }

  /** Called when a `for await` body throws: stops quietly, settles, re-throws. */
  async throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    this.#stop("cancelled", undefined, true);
    await this.settled;
    throw error;
  }

  /**
   * Runs to the end and resolves with every output in an array (memory grows with the
   * output: for long inputs prefer `for await` or `drain()`). Rejects like `drain()`.
   *
   * @example
   * const pages = await from(urls).map(fetchPage, { concurrency: 16 }).run().collect();
   */
  async collect(): Promise<T[]> {
    this.#claim("collect()", "collect() it");
    const values: T[] = [];
    for (;;) {
      for (let i = this.#position; i < this.#buffer.length; i++) values.push(this.#buffer[i] as T);
      this.#delivered += this.#buffer.length - this.#position;
      this.#position = this.#buffer.length;
      if (!(this.#tryPullChunk() ?? (await this.#pullChunk()))) break;
    }
    await this.#throwOutcome();
    return values;
  }

  /** The same as {@link collect}, under the iterator helpers' name. */
  toArray(): Promise<T[]> {
    return this.collect();
  }

  /**
   * Runs to the end, dropping outputs, and resolves with the summary: per-stage counters
   * (in, out, filtered, failed, ...), wall time and items/s. Rejects with the first error of
   * a failed run (a `StageError` or `SourceError`) or with a {@link CancelledError}.
   *
   * @example
   * const summary = await from(rows).forEach(write).run().drain();
   */
  async drain(): Promise<RunSummary> {
    this.#claim("drain()", "drain() it");
    for (;;) {
      this.#delivered += this.#buffer.length - this.#position;
      this.#position = this.#buffer.length;
      // Take what is ready without a promise; wait only when the output is empty.
      if (!(this.#tryPullChunk() ?? (await this.#pullChunk()))) break;
    }
    await this.#throwOutcome();
    return this.settled;
  }

  /**
   * Folds every output into one value, in output order: `fn(accumulator, value)`, sync or
   * async, starting from `initial` (or from the first output when `initial` is not given;
   * an empty run then rejects with a `TypeError`, as `Array.prototype.reduce` throws).
   * A throw in `fn` stops the run and rejects with that error.
   *
   * @example
   * const total = await from(files).map(size).run().reduce((sum, bytes) => sum + bytes, 0);
   */
  reduce<A>(fn: (accumulator: A, value: T) => A | PromiseLike<A>, initial: A): Promise<A>;
  reduce(fn: (accumulator: T, value: T) => T | PromiseLike<T>): Promise<T>;
  async reduce(
    fn: (accumulator: never, value: T) => unknown,
    ...initial: unknown[]
  ): Promise<unknown> {
    const reducer = functionArgument<(accumulator: unknown, value: T) => unknown>("reduce.fn", fn);
    let accumulator: unknown = initial[0];
    let empty = initial.length === 0;
    await this.#consume("reduce()", async (value) => {
      if (empty) {
        accumulator = value;
        empty = false;
      } else {
        accumulator = await reducer(accumulator, value);
      }
      return false;
    });
    if (empty) throw new TypeError("Reduce of an empty run with no initial value");
    return accumulator;
  }

  /**
   * Whether `fn` is truthy for some output: resolves `true` at the first such output and
   * stops the run there (it completes; work in flight is cancelled), `false` at the end.
   *
   * @example
   * const anyBroken = await from(urls).map(check, { concurrency: 32 }).run().some((r) => !r.ok);
   */
  async some(fn: (value: T) => unknown): Promise<boolean> {
    const predicate = functionArgument<typeof fn>("some.fn", fn);
    let found = false;
    await this.#consume("some()", async (value) => (found = Boolean(await predicate(value))));
    return found;
  }

  /**
   * Whether `fn` is truthy for every output: resolves `false` at the first output for which
   * it is not, stopping the run there, and `true` at the end (also for an empty run).
   *
   * @example
   * const allValid = await from(rows).map(validate).run().every((result) => result.valid);
   */
  async every(fn: (value: T) => unknown): Promise<boolean> {
    const predicate = functionArgument<typeof fn>("every.fn", fn);
    let failed = false;
    await this.#consume("every()", async (value) => (failed = !(await predicate(value))));
    return !failed;
  }

  /**
   * The first output for which `fn` is truthy, stopping the run there; `undefined` when no
   * output matches.
   *
   * @example
   * const admin = await from(userIds).map(loadUser, { ordered: true }).run().find((u) => u.admin);
   */
  find<S extends T>(fn: (value: T) => value is S): Promise<S | undefined>;
  find(fn: (value: T) => unknown): Promise<T | undefined>;
  async find(fn: (value: T) => unknown): Promise<T | undefined> {
    const predicate = functionArgument<typeof fn>("find.fn", fn);
    let match: T | undefined;
    await this.#consume("find()", async (value) => {
      if (!(await predicate(value))) return false;
      match = value;
      return true;
    });
    return match;
  }

  /**
   * An object-mode Node `Readable` over the outputs, with backpressure (the run is read only
   * as fast as the stream is), errors (a failed run destroys the stream with its error) and
   * cancellation both ways (destroying the stream stops the run; `'close'` fires once it has
   * settled). For `stream.pipeline(run.toReadable(), transform, file)`.
   *
   * @example
   * await pipeline(from(rows).map(toCsvLine).run().toReadable(), createWriteStream("out.csv"));
   */
  toReadable(options?: ToReadableOptions): Readable {
    // Options are checked before the run is claimed: a bad one leaves the run usable.
    const readable = toReadable(this.#asConsumable(), options);
    this.#claim("toReadable()", "call toReadable()");
    return readable;
  }

  /**
   * A WHATWG `ReadableStream` over the outputs, pulled as the reader reads; cancelling the
   * stream stops the run. For `new Response(run.toWeb())` and other web-stream APIs.
   *
   * @example
   * return new Response(from(rows).map(toJsonLine).run().toWeb().pipeThrough(new TextEncoderStream()));
   */
  toWeb(options?: ToWebOptions): ReadableStream<T> {
    const stream = toWeb(this.#asConsumable(), options);
    this.#claim("toWeb()", "call toWeb()");
    return stream;
  }

  /** The run's iterator for an adapter that has claimed it. */
  #asConsumable(): ConsumableRun<T> {
    return {
      next: () => this.#nextOwned(),
      return: () => this.return(),
      cancel: (reason) => this.cancel(reason),
      settled: this.settled,
    };
  }

  #nextOwned(): Promise<IteratorResult<T, undefined>> {
    if (this.#position < this.#buffer.length) {
      this.#delivered++;
      return Promise.resolve({ done: false, value: this.#buffer[this.#position++] as T });
    }
    return this.#nextChunk();
  }

  /**
   * Feeds outputs to `visit` until it answers true (the run then stops, completed) or the
   * run ends; a throw in `visit` stops the run and rejects with it.
   */
  async #consume(consumer: string, visit: (value: T) => Promise<boolean>): Promise<void> {
    this.#claim(consumer, `call ${consumer}`);
    for (;;) {
      while (this.#position < this.#buffer.length) {
        const value = this.#buffer[this.#position++] as T;
        this.#delivered++;
        let done: boolean;
        try {
          done = await visit(value);
        } catch (error) {
          this.#stop("cancelled", undefined, true);
          await this.settled;
          throw error;
        }
        if (done) {
          this.#stop("completed", undefined, true);
          // Only a source cleanup error can turn this stop into a failure: it must surface.
          await this.#throwOutcome();
          return;
        }
      }
      if (!(this.#tryPullChunk() ?? (await this.#pullChunk()))) break;
    }
    await this.#throwOutcome();
  }

  /**
   * Makes `consumer` the run's one consumer. Outputs read one by one with `next()` may be
   * followed by one terminal that takes the rest (`await run.next()` for a header, then
   * `collect()`): nothing is read twice. Anything else after a consumer is an error.
   */
  #claim(consumer: string, attempted: string): void {
    const current = this.#consumer;
    if (current !== undefined && !(current === "next()" && consumer !== "for await")) {
      throw new RunConsumedError(current, attempted);
    }
    this.#consumer = consumer;
  }

  async #nextChunk(): Promise<IteratorResult<T, undefined>> {
    if (this.#tryPullChunk() ?? (await this.#pullChunk())) return this.#nextOwned();
    await this.#throwOutcome();
    return { done: true, value: undefined };
  }

  /**
   * Releases the consumed chunk and loads the next if one is ready: true when loaded, false
   * once the output has ended, undefined when the caller must wait.
   */
  #tryPullChunk(): boolean | undefined {
    this.#ensureStarted();
    const output = this.#output;
    if (this.#buffer.length > 0) {
      output?.release(this.#buffer.length);
      this.#buffer = kNoItems;
      this.#position = 0;
    }
    if (output === undefined || this.#control.stopped) return false;
    const chunk = output.takeChunk();
    if (chunk !== undefined) {
      this.#buffer = chunk;
      return true;
    }
    if (output.drained) {
      this.#outputEnded = true;
      this.#trySettle();
      return false;
    }
    return undefined;
  }

  /** Waits until a chunk is loaded (true) or the output has ended (false). */
  async #pullChunk(): Promise<boolean> {
    for (;;) {
      const pulled = this.#tryPullChunk();
      if (pulled !== undefined) return pulled;
      const output = this.#output!;
      await new Promise<void>((resolve) => {
        this.#wakeConsumer = resolve;
        output.onData(resolve);
      });
      this.#wakeConsumer = undefined;
    }
  }

  async #throwOutcome(): Promise<void> {
    const summary = await this.settled;
    if (summary.outcome === "failed") throw this.#error;
    if (summary.outcome === "cancelled" && !this.#quiet) {
      throw new CancelledError(this.#error, summary.pulled, summary.durationMs);
    }
  }

  #ensureStarted(): void {
    if (this.#started) return;
    this.#started = true;
    this.#startedAt = performance.now();
    this.#ledger?.attach(this.#control.fail);
    const { tracer, logger } = this.#observers;
    if (tracer !== undefined) this.#control.traceWith(tracer, this.#specs);
    if (logger !== undefined) {
      try {
        logRunStarted(logger, this.#specs);
      } catch (error) {
        this.#stop("failed", error);
      }
    }
    if (this.#control.stopped) {
      this.#settle();
      return;
    }
    try {
      this.#input = openSource(
        this.#source,
        this.#sourceBuffer,
        this.#control,
        this.#sourceController.signal,
      );
    } catch (error) {
      this.#stop("failed", error);
      this.#settle();
      return;
    }
    if (this.#sampleEvery > 0) {
      this.#control.sampleEvery = this.#sampleEvery;
      this.#control.maxSamplesPerSecond = this.#maxSamplesPerSecond;
      this.#loopProbe = new EventLoopProbe();
    }
    let input: StageInput<unknown> = this.#input;
    for (const spec of this.#specs) {
      const stage = buildStage(spec, input, this.#control);
      const width = this.#widths.get(this.#stages.length);
      if (width !== undefined) stage.gate?.setLimit(width);
      if (this.#paused) stage.gate?.setPaused(true);
      this.#stages.push(stage);
      input = stage.output;
    }
    this.#output = this.#ledger === undefined ? input : this.#ledger.output(input);
    this.#input.start();
    for (const stage of this.#stages) stage.start();
    if (this.#finishing) {
      this.#sourceController.abort(new DOMException("run.finish() was called", "AbortError"));
      this.#input.stop();
    }
    void Promise.all([this.#input.done, ...this.#stages.map((stage) => stage.done)]).then(() => {
      this.#partsDone = true;
      this.#trySettle();
    });
  }

  readonly #onUserAbort = (): void => {
    this.#stop("cancelled", this.#userSignal?.reason);
  };

  /**
   * Stops every part. `quiet`: the consumer stopped it (a `break`, an answer found), so it
   * throws nothing; a quiet stop with outcome `"completed"` is a consumer that has its answer.
   */
  #stop(outcome: "failed" | "cancelled" | "completed", error: unknown, quiet = false): void {
    if (this.#control.stopped || this.#outcome !== "running") return;
    this.#control.stopped = true;
    this.#outcome = outcome;
    this.#error = error;
    this.#quiet = quiet;
    this.#controller.abort(quiet ? undefined : error);
    // A paused run that stops must let its parked parts see the stop and settle.
    if (this.#paused) {
      this.#paused = false;
      this.#control.resume();
    }
    const reason = this.#controller.signal.reason;
    this.#sourceController.abort(reason);
    this.#input?.stop();
    for (const stage of this.#stages) stage.stop(reason);
    this.#wakeConsumer?.();
    if (!this.#started) {
      // Never started: nothing to wait for. Consumers that come later see the outcome.
      this.#settle();
    } else {
      this.#trySettle();
    }
  }

  /** A stage needs no more input (`take`): the source and the stages before it stop. */
  #endBefore(stage: object): void {
    const at = this.#stages.indexOf(stage as Stage);
    if (this.#control.stopped) return;
    const reason = new DOMException(
      `Stage "${(stage as Stage).name}" needs no more input`,
      "AbortError",
    );
    this.#sourceController.abort(reason);
    this.#input?.stop();
    for (let i = 0; i < at; i++) this.#stages[i]!.stop(reason);
  }

  /**
   * Letting go failed: the source's `return()` threw (a cleanup error the consumer must see,
   * with it as cause), or a stage's resource could not be disposed of (its `ResourceError`).
   */
  #cleanupFailed(error: unknown): void {
    if (this.#settledAt !== 0 || this.#outcome === "failed") return;
    const cleanup = isResourceError(error)
      ? error
      : new SourceError(error, this.#input?.pulled ?? 0, true);
    if (this.#outcome === "running") {
      this.#stop("failed", cleanup);
      return;
    }
    this.#outcome = "failed";
    this.#error = cleanup;
    this.#quiet = false;
  }

  /**
   * A run is over when every part has settled and either it stopped or the consumer read
   * the last output: a completed run's unread outputs are still the consumer's to take.
   */
  #trySettle(): void {
    if (this.#partsDone && (this.#control.stopped || this.#outputEnded)) this.#settle();
  }

  #settle(): void {
    if (this.#settledAt !== 0) return;
    if (!this.#started) {
      this.#started = true;
      this.#startedAt = performance.now();
    }
    if (this.#outcome === "running") this.#outcome = "completed";
    for (const stage of this.#stages) stage.collectLeftovers();
    const output = this.#output;
    if (output !== undefined) {
      this.#undelivered = this.#buffer.length - this.#position + output.discard();
    }
    this.#buffer = kNoItems;
    this.#position = 0;
    this.#control.cancelYield();
    this.#userSignal?.removeEventListener("abort", this.#onUserAbort);
    this.#settledAt = performance.now();
    this.#loopProbe?.stop();
    const attachments = this.#attachments?.opened === true ? this.#attachments : undefined;
    const ledger = this.#ledger;
    if (attachments === undefined && ledger === undefined) {
      this.#announce(this.stats());
      return;
    }
    // The `.to()` writers, the `.tee()` branches and the source's connections are let go
    // before the run is settled: a process may exit then.
    void Promise.all([
      attachments?.close(this.#outcome === "completed"),
      ledger?.close().then(
        () => undefined,
        (error: unknown) => error,
      ),
    ]).then(([writeError, sourceError]) => {
      const error = writeError ?? sourceError;
      if (error !== undefined && this.#outcome === "completed") {
        this.#outcome = "failed";
        this.#error = error;
      }
      this.#announce(this.stats());
    });
  }

  /** Tells the final figures to the metrics listeners and the logger, and settles. */
  #announce(summary: RunSummary): void {
    if (this.#watchers.size > 0) {
      const metrics = metricsSnapshot(summary, this.#stages, this.#sampleEvery, this.#loopProbe);
      for (const watcher of this.#watchers) {
        clearInterval(watcher.timer);
        this.#tell(watcher, metrics);
      }
      this.#watchers.clear();
    }
    const logger = this.#observers.logger;
    if (logger !== undefined) {
      try {
        logRunSettled(logger, summary);
      } catch {
        // A logger that throws at the end cannot change how the run ended.
      }
    }
    this.#resolveSettled(summary);
  }
}

function isCleanupError(error: unknown): boolean {
  return (error instanceof SourceError && error.cleanup) || isResourceError(error);
}
