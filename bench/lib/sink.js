/**
 * The end of every contender: counts and sums the outputs, checks their order when the
 * scenario is ordered, and samples `process.memoryUsage().rss` when 10% and 100% of the
 * items have arrived (with the size of V8's new space, which explains most step-wise RSS
 * growth: V8 enlarges the young generation when the allocation rate is high).
 * @module
 */
import { getHeapSpaceStatistics } from "node:v8";

/** Bytes reserved for V8's young generation (`new_space`). */
function newSpaceBytes() {
  return getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
}

export class Sink {
  /**
   * @param {number} n items expected
   * @param {number} offset each output should be `input + offset`
   * @param {boolean} ordered whether outputs must arrive in input order
   */
  constructor(n, offset, ordered) {
    this.n = n;
    this.offset = offset;
    this.ordered = ordered;
    this.count = 0;
    this.sum = 0;
    /** Index of the first out-of-order output, or -1. */
    this.firstDisorder = -1;
    this.mark10 = Math.max(1, Math.ceil(n / 10));
    /** RSS in bytes when 10% / 100% of the items had arrived. */
    this.rss10 = 0;
    this.rss100 = 0;
    /** V8 new-space size in bytes at the same two moments. */
    this.newSpace10 = 0;
    this.newSpace100 = 0;
  }

  /**
   * Takes one output.
   * @param {number} y
   */
  add(y) {
    if (this.ordered && y !== this.count + this.offset && this.firstDisorder < 0) {
      this.firstDisorder = this.count;
    }
    this.sum += y;
    const c = ++this.count;
    if (c === this.mark10) {
      this.rss10 = process.memoryUsage.rss();
      this.newSpace10 = newSpaceBytes();
    }
    if (c === this.n) {
      this.rss100 = process.memoryUsage.rss();
      this.newSpace100 = newSpaceBytes();
    }
  }
}
