import type { StageContext, StageFn } from "../contract/types.js";
import { LatencyRecorder } from "./latency-histogram.js";
import { onSettled } from "./on-settled.js";

/** The widest mean gap between timed calls the pacing goes to. */
const MAX_GAP = 1 << 20;

/** Where a stage reads the time its current input chunk reached it (`performance.now()`). */
export interface ChunkArrival {
  /** When the chunk the stage takes items from now arrived; 0 while unknown. */
  readonly arrivedAt: number;
}

/**
 * A stage's sampled latencies: processing time (a call, from its start to its settling) and
 * queue time (from the moment the item's chunk reached the stage's input to the call's
 * start). One call in `sampleEvery` is timed (on average: the gaps vary, see `nextGap`),
 * or fewer when the calls come faster than `sampleEvery × maxSamplesPerSecond` a second, so
 * the clock is read twice per timed call and never for the others; a timed async call costs
 * one extra promise.
 */
export class StageTiming {
  /** Calls between two timed ones, at least (on average). */
  readonly sampleEvery: number;
  /** Timed calls per second, at most: faster calls are timed further apart. */
  readonly maxSamplesPerSecond: number;
  readonly processing = new LatencyRecorder();
  readonly queue = new LatencyRecorder();
  /** Two timed calls closer than this double {@link #meanGap}; 0: no pacing. */
  readonly #minApartMs: number;
  /** The mean of the gaps {@link nextGap} draws: `sampleEvery`, or more when paced. */
  #meanGap: number;
  #lastTimedAt = 0;
  /** xorshift32 state, fixed seed: the same calls are timed run after run. */
  #random = 0x9e3779b9;

  constructor(sampleEvery: number, maxSamplesPerSecond = Infinity) {
    this.sampleEvery = sampleEvery;
    this.maxSamplesPerSecond = maxSamplesPerSecond;
    this.#minApartMs = 1000 / maxSamplesPerSecond;
    this.#meanGap = sampleEvery;
  }

  /**
   * Calls until the next timed one, counting it: drawn from 1 to 2 × mean − 1, not fixed, as
   * a fixed period aliases with periodic work (the demo's slow 1-in-20 records sat between
   * every 64th call and never showed in p99).
   */
  nextGap(): number {
    let state = this.#random;
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    this.#random = state;
    return 1 + ((state >>> 0) % (2 * this.#meanGap - 1));
  }

  /**
   * `fn`, timing every call: the stage calls it for the calls {@link nextGap} picks, and `fn`
   * itself for the others. Queue time is taken for an item's first call only (a retry waited
   * in its backoff, a hedge behind its first call, not in the queue). An async call's
   * promise is chained to time its end: one promise more per timed call. `processing: false`
   * times the queue only (a flatMap's call returns an iterable whose work comes later).
   */
  timed(
    fn: StageFn<unknown, unknown>,
    arrival: ChunkArrival,
    processing = true,
  ): StageFn<unknown, unknown> {
    const processingTimes = this.processing;
    const queueTimes = this.queue;
    return (item: unknown, ctx: StageContext): unknown => {
      const start = performance.now();
      this.#pace(start);
      const arrivedAt = arrival.arrivedAt;
      if (arrivedAt > 0 && ctx.attempt === 1 && (ctx as { hedge?: boolean }).hedge !== true) {
        queueTimes.record(start - arrivedAt);
      }
      if (!processing) return fn(item, ctx);
      return onSettled(
        () => fn(item, ctx),
        () => processingTimes.record(performance.now() - start),
      );
    };
  }

  /**
   * `fn`, timing one call in {@link sampleEvery} (see {@link timed}), for stages whose calls
   * go through a wrapper anyway (retries, hedges, a flatMap's expansion); a plain stage picks
   * its timed calls itself and keeps the bare function, which V8 inlines where it is called.
   */
  wrap(
    fn: StageFn<unknown, unknown>,
    arrival: ChunkArrival,
    processing = true,
  ): StageFn<unknown, unknown> {
    const timed = this.timed(fn, arrival, processing);
    let countdown = 1;
    return (item, ctx) => {
      if (--countdown !== 0) return fn(item, ctx);
      countdown = this.nextGap();
      return timed(item, ctx);
    };
  }

  /**
   * The timed calls' own clock reads pace them: two closer than `1 / maxSamplesPerSecond`
   * double the mean gap, two more than four times that apart halve it (not below
   * `sampleEvery`). No clock is read for this that the timing does not read anyway.
   */
  #pace(now: number): void {
    const minApart = this.#minApartMs;
    if (minApart === 0) return;
    const apart = now - this.#lastTimedAt;
    this.#lastTimedAt = now;
    if (apart < minApart) {
      if (this.#meanGap < MAX_GAP) this.#meanGap *= 2;
    } else if (apart > 4 * minApart && this.#meanGap > this.sampleEvery) {
      this.#meanGap = Math.max(this.sampleEvery, this.#meanGap / 2);
    }
  }
}
