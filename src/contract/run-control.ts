import type { CallTracer, StageCallHook } from "./call-tracer.js";
import type { FunctionStageSpec, StageSpec } from "./stage-spec.js";

/**
 * Items of work between two looks at the clock, at first and at least: about a chunk. The
 * stride doubles while a stride of work takes under a millisecond and halves when it takes
 * more than two, so cheap items read the clock about once a millisecond (a `Date.now()` per
 * 64 items cost ~2 ns an item, 2% of S1) and costly ones about once a chunk.
 */
const MIN_WORK_PER_CLOCK_READ = 64;
const MAX_WORK_PER_CLOCK_READ = 1 << 14;
/**
 * Longest stretch of synchronous work before the run gives the event loop a turn. Read with
 * `Date.now()`: a V8 builtin, where `performance.now()` crosses into Node and cost 4% of
 * S1 at one read per 64 items; a millisecond's resolution is enough for a 4 ms slice.
 */
const SLICE_MS = 4;

/**
 * What the parts of a run (source, stages) may ask of the run that owns them: its signal, to
 * fail it, to end everything upstream of a stage that needs no more input (`take`), and when
 * to yield to the event loop. Plain fields and small methods: stages consult it per chunk.
 */
export class RunControl {
  /** Whether the run is stopping (cancelled or failed): take no new items. Set by the run. */
  stopped = false;
  /**
   * Whether the run is giving the event loop a turn, or is paused: no part starts new work
   * until it ends.
   */
  yielding = false;
  /** Whether the run is paused (`run.pause()`): parts that yield stay parked until resumed. */
  paused = false;
  /**
   * Time one call in this many per stage (`run({ metrics })`); 0: metrics off, no stage
   * reads a clock for them. Set by the run before it builds its stages.
   */
  sampleEvery = 0;
  /** Timed calls per second per stage, at most (`run({ metrics: { maxSamplesPerSecond } })`). */
  maxSamplesPerSecond = Infinity;
  #tracer: CallTracer | undefined;
  /** The run as its tracer tells it apart from others (`TracedStage.run`). */
  readonly #traceIdentity: object = Object.freeze({});
  #specs: readonly StageSpec[] = [];
  /** Aborted when the run is cancelled or fails. */
  readonly signal: AbortSignal;
  /** Fails the run with `error` unless it is already stopping. */
  readonly fail: (error: unknown) => void;
  /** Stops every part before `stage` (it needs no more input); the run still completes. */
  readonly endBefore: (stage: object) => void;
  /** Reports an error thrown while closing the source (its iterator's `return()`). */
  readonly cleanupFailed: (error: unknown) => void;
  #work = 0;
  #workPerClockRead = MIN_WORK_PER_CLOCK_READ;
  #lastClockRead = 0;
  #sliceEnd = 0;
  readonly #resumers = new Set<() => void>();
  #immediate: NodeJS.Immediate | undefined;

  constructor(
    signal: AbortSignal,
    fail: (error: unknown) => void,
    endBefore: (stage: object) => void = () => {},
    cleanupFailed: (error: unknown) => void = fail,
  ) {
    this.signal = signal;
    this.fail = fail;
    this.endBefore = endBefore;
    this.cleanupFailed = cleanupFailed;
    // The first slice ends at the first look at the clock: that early, cheap yield runs the
    // yield branches while every part is still interpreted, so the optimized code that comes
    // later has seen them and does not deoptimize at the first yield (S1 lost ~5% to that).
    this.#lastClockRead = Date.now();
    this.#sliceEnd = this.#lastClockRead;
  }

  /** Has `tracer` see the calls of `specs`' function stages (set by the run before it builds them). */
  traceWith(tracer: CallTracer, specs: readonly StageSpec[]): void {
    this.#tracer = tracer;
    this.#specs = specs;
  }

  /**
   * The hook a function stage reports its calls to, or `undefined`: the run has no tracer,
   * or its tracer leaves this stage bare. Asked once, as the stage is built.
   */
  callHook(spec: FunctionStageSpec, threads: boolean): StageCallHook | undefined {
    return this.#tracer?.forStage({
      name: spec.name,
      position: this.#specs.indexOf(spec),
      kind: spec.kind,
      threads,
      run: this.#traceIdentity,
    });
  }

  /**
   * Counts `items` of synchronous work and answers whether the run must give the event loop a
   * turn: a yield is under way, or the run has now worked a whole slice without one (a yield
   * starts). The caller stops and asks {@link yieldThen} (or {@link holdTurn}) to resume it.
   * The clock is read once per stride of work (see {@link MIN_WORK_PER_CLOCK_READ}): about
   * once a millisecond, or once a chunk when items are slower than that.
   */
  mustYield(items: number): boolean {
    if ((this.#work += items) < this.#workPerClockRead) return this.yielding;
    return this.#readClock();
  }

  /**
   * Whether a yield is under way; if so, `resume` is called after the turn (once, however
   * often it is registered). The per-item paths call this on every pass rather than keeping a
   * flag of their own: a branch that only runs at a yield would make their optimized code
   * deoptimize the first time it does, and this method's branches are warm from the first
   * slice on (see the constructor).
   */
  holdTurn(resume: () => void): boolean {
    if (!this.yielding) return false;
    this.#resumers.add(resume);
    return true;
  }

  /** Calls `resume` on the next turn of the event loop (one `setImmediate` for every part). */
  yieldThen(resume: () => void): void {
    this.#startYield();
    this.#resumers.add(resume);
  }

  #readClock(): boolean {
    this.#work = 0;
    const now = Date.now();
    if (now >= this.#sliceEnd) {
      this.#startYield();
      return true;
    }
    const elapsed = now - this.#lastClockRead;
    this.#lastClockRead = now;
    if (elapsed === 0) {
      if (this.#workPerClockRead < MAX_WORK_PER_CLOCK_READ) this.#workPerClockRead *= 2;
    } else if (elapsed > 2 && this.#workPerClockRead > MIN_WORK_PER_CLOCK_READ) {
      this.#workPerClockRead >>= 1;
    }
    return this.yielding;
  }

  #startYield(): void {
    this.yielding = true;
    if (!this.paused) this.#immediate ??= setImmediate(this.#resume);
  }

  /**
   * Pauses the run: every part that asks whether to yield hears yes and parks until
   * {@link resume}. (Function stages also close their gates: see `DispatchGate.setPaused`.)
   */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.yielding = true;
  }

  /** Ends a pause: parked parts resume on the next turn of the event loop. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.#immediate ??= setImmediate(this.#resume);
  }

  /** Drops a pending resume: the run has settled. */
  cancelYield(): void {
    this.yielding = false;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    this.#resumers.clear();
  }

  readonly #resume = (): void => {
    this.#immediate = undefined;
    if (this.paused) return;
    this.yielding = false;
    this.#lastClockRead = Date.now();
    this.#sliceEnd = this.#lastClockRead + SLICE_MS;
    // Parts resumed now may register again for the next yield: call a copy.
    const resumers = [...this.#resumers];
    this.#resumers.clear();
    for (const resume of resumers) resume();
  };
}
