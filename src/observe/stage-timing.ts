import type { StageContext, StageFn } from "../contract/types.js";
import { LatencyRecorder } from "./latency-histogram.js";

/** Where a stage reads the time its current input chunk reached it (`performance.now()`). */
export interface ChunkArrival {
  /** When the chunk the stage takes items from now arrived; 0 while unknown. */
  readonly arrivedAt: number;
}

/**
 * A stage's sampled latencies: processing time (a call, from its start to its settling) and
 * queue time (from the moment the item's chunk reached the stage's input to the call's
 * start). One call in `sampleEvery` is timed (on average: the gaps vary, see `wrap`), so the clock is read twice per sampled call
 * and never for the others; a sampled async call costs one extra promise.
 */
export class StageTiming {
  /** Calls between two timed ones. */
  readonly sampleEvery: number;
  readonly processing = new LatencyRecorder();
  readonly queue = new LatencyRecorder();

  constructor(sampleEvery: number) {
    this.sampleEvery = sampleEvery;
  }

  /**
   * `fn`, timing one call in {@link sampleEvery}. Queue time is taken for an item's first
   * call only (a retry waited in its backoff, a hedge behind its first call, not in the
   * queue). A sampled async call's promise is chained to time its end: one promise more per
   * timed call, none for the others (timing it in the slot that awaits it instead put a
   * check on every settle and cost S1 more). `processing: false` times the queue only (a
   * flatMap's call returns an iterable whose work comes later).
   */
  wrap(
    fn: StageFn<unknown, unknown>,
    arrival: ChunkArrival,
    processing = true,
  ): StageFn<unknown, unknown> {
    const every = this.sampleEvery;
    const processingTimes = this.processing;
    const queueTimes = this.queue;
    // The untimed call is all the returned function does: small enough for V8 to inline it
    // (and the user's function in it) where the stage calls it; the timed call is apart.
    const timed = (item: unknown, ctx: StageContext): unknown => {
      const start = performance.now();
      const arrivedAt = arrival.arrivedAt;
      if (arrivedAt > 0 && ctx.attempt === 1 && (ctx as { hedge?: boolean }).hedge !== true) {
        queueTimes.record(start - arrivedAt);
      }
      if (!processing) return fn(item, ctx);
      let result: unknown;
      try {
        result = fn(item, ctx);
      } catch (error) {
        processingTimes.record(performance.now() - start);
        throw error;
      }
      if (
        typeof result === "object" &&
        result !== null &&
        typeof (result as PromiseLike<unknown>).then === "function"
      ) {
        return Promise.resolve(result as PromiseLike<unknown>).then(
          (value) => {
            processingTimes.record(performance.now() - start);
            return value;
          },
          (error: unknown) => {
            processingTimes.record(performance.now() - start);
            throw error;
          },
        );
      }
      processingTimes.record(performance.now() - start);
      return result;
    };
    // The gaps between timed calls are drawn from 1 to 2 × every − 1 (mean `every`), not
    // fixed: a fixed period aliases with periodic work (the demo's slow 1-in-20 records sat
    // between every 64th call and never showed in p99). xorshift32, fixed seed: the same
    // calls are timed run after run.
    let state = 0x9e3779b9;
    const span = 2 * every - 1;
    const gap = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return 1 + ((state >>> 0) % span);
    };
    let countdown = 1;
    return (item, ctx) => {
      if (--countdown !== 0) return fn(item, ctx);
      countdown = gap();
      return timed(item, ctx);
    };
  }
}
