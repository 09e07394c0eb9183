import { StageTiming } from "../observe/stage-timing.js";

/**
 * Which calls of a thread stage are timed (`run({ metrics })`), and where their times go: the
 * same {@link StageTiming} histograms an event-loop stage fills, and its gaps between timed
 * calls (`nextGap`: one call in `sampleEvery` on average, not periodic), without its wrapper
 * (the calls run on threads) nor its pacing (each thread call already costs a message). The
 * main thread picks the calls as it makes their batches, and takes each picked new item's
 * queue time then, from the arrival of its chunk to its dispatch; the thread times the
 * picked calls (`BatchMessage.sample`) and sends their times back with the batch's results.
 *
 * Costs: nothing per item. Per batch, a comparison per input chunk it was taken from; for a
 * batch holding a picked call, a clock read per such chunk and a short array of positions.
 */
export class CallSampler {
  readonly timing: StageTiming;
  /** Calls to go before the next picked one, counting it (1: the next call). */
  #countdown = 1;

  constructor(sampleEvery: number) {
    this.timing = new StageTiming(sampleEvery);
  }

  /**
   * Picks among `count` calls about to be sent, at positions `from` to `from + count - 1` of
   * their batch: appends the picked positions to `picked` (made when first needed) and returns
   * it. With `arrivedAt > 0` (new items from one input chunk, stamped then) each picked call's
   * queue time is recorded now; 0 (a resent item, an unstamped chunk) records none, as an
   * event-loop stage takes queue time on an item's first call only.
   */
  pick(
    from: number,
    count: number,
    arrivedAt: number,
    picked: number[] | undefined,
  ): number[] | undefined {
    let at = this.#countdown - 1;
    if (at >= count) {
      this.#countdown -= count;
      return picked;
    }
    const timing = this.timing;
    const now = arrivedAt > 0 ? performance.now() : 0;
    do {
      (picked ??= []).push(from + at);
      if (arrivedAt > 0) timing.queue.record(now - arrivedAt);
      at += timing.nextGap();
    } while (at < count);
    this.#countdown = at - count + 1;
    return picked;
  }

  /** Records a batch's call times, `[position, ms, …]` as the thread sent them. */
  record(times: readonly number[]): void {
    const processing = this.timing.processing;
    for (let i = 1; i < times.length; i += 2) processing.record(times[i]!);
  }
}
