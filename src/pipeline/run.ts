import { setMaxListeners } from "node:events";
import { CancelledError } from "../errors/cancelled-error.js";
import { openSource } from "../source/open-source.js";
import type { SourceInput } from "../source/source-input.js";
import { BatchRuntime } from "../stage/batch-runtime.js";
import type { StageInput } from "../stage/stage-input.js";
import { StageRuntime } from "../stage/stage-runtime.js";
import type { StageSpec } from "../stage/stage-spec.js";
import { kIdleCounters, stageStats } from "../stage/stage-stats.js";
import { RunControl } from "./run-control.js";
import type { RunOutcome, RunSummary } from "./summary.js";
import type { Source } from "./types.js";

type Runtime = StageRuntime | BatchRuntime;

/** The consumer's chunk when it holds none; shared, never written. */
const kNoItems: readonly unknown[] = Object.freeze([]);

/** Why a run stopped early; a quiet stop (the consumer broke out) throws nothing. */
const kQuietStop = Symbol("sluice.quietStop");

/**
 * One execution of a pipeline: the owner of its source, stages, timers and channels, and
 * the consumer of its output.
 *
 * The run starts on the first `next()`, `collect()` or `drain()`. It settles only once
 * every worker, timer and the source iterator have settled; consumers see the outcome
 * (the first error, or cancellation) after that, so nothing is left running behind them.
 */
export class Run<T> implements AsyncIterableIterator<T> {
  readonly #controller = new AbortController();
  /** What the source and stages see of this run. */
  readonly #control = new RunControl(this.#controller.signal, (error) => {
    this.#stop("failed", error);
  });
  readonly #source: Source<unknown>;
  readonly #specs: readonly StageSpec[];
  readonly #sourceBuffer: number;
  readonly #userSignal: AbortSignal | undefined;
  #input: SourceInput<unknown> | undefined;
  #stages: Runtime[] = [];
  #output: StageInput<unknown> | undefined;
  #partsDone = false;
  #outputEnded = false;
  #outcome: RunOutcome = "running";
  #error: unknown;
  #quiet = false;
  #started = false;
  #startedAt = 0;
  #settledAt = 0;
  #delivered = 0;
  #undelivered = 0;
  #buffer: readonly unknown[] = kNoItems;
  #position = 0;
  #resolveSettled!: (summary: RunSummary) => void;
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
  ) {
    // Every in-flight item may listen on the run's signal (timers, fetch): up to the sum of
    // the stages' widths at once, which is more than EventTarget's default warning level.
    setMaxListeners(0, this.#controller.signal);
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
   * in-flight item's `ctx.signal` and drops buffered items (counted as discarded). Consumers
   * then throw a {@link CancelledError} with `reason` as its cause. Resolves with the
   * summary once the run has settled. Does nothing to a run that already ended.
   */
  cancel(reason?: unknown): Promise<RunSummary> {
    this.#stop("cancelled", reason ?? new DOMException("The run was cancelled", "AbortError"));
    return this.settled;
  }

  /** A snapshot of the counters now: cheap, safe to call from a progress timer. */
  stats(): RunSummary {
    const end = this.#settledAt || performance.now();
    const durationMs = this.#started ? end - this.#startedAt : 0;
    const pulled = this.#input?.pulled ?? 0;
    const summary: {
      -readonly [K in keyof RunSummary]: RunSummary[K];
    } = {
      outcome: this.#outcome,
      pulled,
      delivered: this.#delivered,
      undelivered: this.#undelivered,
      stages:
        this.#stages.length > 0
          ? this.#stages.map((stage) => stage.stats())
          : this.#specs.map((spec) => stageStats(spec, kIdleCounters)),
      durationMs,
      itemsPerSecond: durationMs > 0 ? (pulled * 1000) / durationMs : 0,
    };
    if (this.#outcome === "failed" || (this.#outcome === "cancelled" && !this.#quiet)) {
      summary.error = this.#error;
    }
    return summary;
  }

  /** Returns this run: a run is consumed once, by one consumer. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
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
    return this.#nextChunk();
  }

  /** Called by `break` in a `for await` loop: cancels quietly and waits for the run to settle. */
  async return(): Promise<IteratorResult<T, undefined>> {
    this.#quietStop();
    await this.settled;
    return { done: true, value: undefined };
  }

  /** Called when a `for await` body throws: cancels quietly, settles, re-throws. */
  async throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    this.#quietStop();
    await this.settled;
    throw error;
  }

  /**
   * Runs to the end and resolves with every output in an array (memory grows with the
   * output: for long inputs prefer `for await` or `drain()`). Rejects like `drain()`.
   */
  async collect(): Promise<T[]> {
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

  /**
   * Runs to the end, dropping outputs, and resolves with the summary: per-stage counters
   * (in, out, filtered, failed, ...), wall time and items/s. Rejects with the first error of
   * a failed run (a `StageError` or `SourceError`) or with a {@link CancelledError}.
   */
  async drain(): Promise<RunSummary> {
    for (;;) {
      this.#delivered += this.#buffer.length - this.#position;
      this.#position = this.#buffer.length;
      // Take what is ready without a promise; wait only when the output is empty.
      if (!(this.#tryPullChunk() ?? (await this.#pullChunk()))) break;
    }
    await this.#throwOutcome();
    return this.settled;
  }

  async #nextChunk(): Promise<IteratorResult<T, undefined>> {
    if (this.#tryPullChunk() ?? (await this.#pullChunk())) return this.next();
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
      await new Promise<void>((resolve) => output.onData(resolve));
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
    if (this.#control.stopped) {
      this.#settle();
      return;
    }
    try {
      this.#input = openSource(this.#source, this.#sourceBuffer, this.#control);
    } catch (error) {
      this.#stop("failed", error);
      this.#settle();
      return;
    }
    let input: StageInput<unknown> = this.#input;
    for (const spec of this.#specs) {
      const stage =
        spec.kind === "batch"
          ? new BatchRuntime(spec, input, this.#control)
          : new StageRuntime(spec, input, this.#control);
      this.#stages.push(stage);
      input = stage.output;
    }
    this.#output = input;
    this.#input.start();
    for (const stage of this.#stages) stage.start();
    void Promise.all([this.#input.done, ...this.#stages.map((stage) => stage.done)]).then(() => {
      this.#partsDone = true;
      this.#trySettle();
    });
  }

  readonly #onUserAbort = (): void => {
    this.#stop("cancelled", this.#userSignal?.reason);
  };

  #quietStop(): void {
    if (this.#control.stopped) return;
    this.#quiet = true;
    this.#stop("cancelled", kQuietStop);
  }

  #stop(outcome: "failed" | "cancelled", error: unknown): void {
    if (this.#control.stopped || this.#outcome !== "running") return;
    this.#control.stopped = true;
    this.#outcome = outcome;
    this.#error = error;
    this.#controller.abort(error === kQuietStop ? undefined : error);
    this.#input?.stop();
    for (const stage of this.#stages) {
      stage.stop();
      // Closing wakes workers waiting for data or room; they see the run stopping and exit.
      stage.output.close();
    }
    if (!this.#started) {
      // Never started: nothing to wait for. Consumers that come later see the outcome.
      this.#settle();
    } else {
      this.#trySettle();
    }
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
    this.#userSignal?.removeEventListener("abort", this.#onUserAbort);
    this.#settledAt = performance.now();
    this.#resolveSettled(this.stats());
  }
}
