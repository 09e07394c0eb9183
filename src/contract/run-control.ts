/** Items of work between two looks at the clock on paths that run per item. */
const WORK_PER_CLOCK_READ = 64;
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
  /** Aborted when the run is cancelled or fails. */
  readonly signal: AbortSignal;
  /** Fails the run with `error` unless it is already stopping. */
  readonly fail: (error: unknown) => void;
  /** Stops every part before `stage` (it needs no more input); the run still completes. */
  readonly endBefore: (stage: object) => void;
  /** Reports an error thrown while closing the source (its iterator's `return()`). */
  readonly cleanupFailed: (error: unknown) => void;
  #work = 0;
  #sliceEnd = 0;
  #resumers: (() => void)[] = [];
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
    this.#sliceEnd = Date.now() + SLICE_MS;
  }

  /**
   * Counts `items` of synchronous work and answers whether the run has worked a whole slice
   * without a turn of the event loop: the caller then stops and asks {@link yieldThen} to
   * resume it. The clock is read once per {@link WORK_PER_CLOCK_READ} items at most, so a
   * sync burst reads it about once per chunk and the async path almost never.
   */
  mustYield(items: number): boolean {
    if ((this.#work += items) < WORK_PER_CLOCK_READ) return false;
    this.#work = 0;
    return Date.now() >= this.#sliceEnd;
  }

  /** Calls `resume` on the next turn of the event loop (one `setImmediate` for every part). */
  yieldThen(resume: () => void): void {
    this.#resumers.push(resume);
    this.#immediate ??= setImmediate(this.#resume);
  }

  /** Drops a pending resume: the run has settled. */
  cancelYield(): void {
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    this.#resumers = [];
  }

  readonly #resume = (): void => {
    this.#immediate = undefined;
    this.#sliceEnd = Date.now() + SLICE_MS;
    const resumers = this.#resumers;
    this.#resumers = [];
    for (const resume of resumers) resume();
  };
}
