/**
 * The end of every contender: counts and sums the outputs (or, in {@link KeyedSink}, a
 * number derived from each output), checks their order when the scenario is ordered, and
 * samples `process.memoryUsage().rss` when 10% and 100% of the items have arrived (with the
 * size of V8's new space, which explains most step-wise RSS growth: V8 enlarges the young
 * generation when the allocation rate is high).
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
    if (c === this.mark10 || c === this.n) this.sample(c);
  }

  /**
   * Samples RSS and V8's new space when output #`c` is the 10% or the 100% mark.
   * @param {number} c outputs so far
   */
  sample(c) {
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

/**
 * The sink of scenarios whose outputs are not `input + offset` (S4, S8): each output is
 * mapped to a number by the scenario's `key` (for a hex digest: its first 8 hex digits), and
 * output #i must have the key `expected[i]`, which the scenario computed from the same input
 * before timing started. Sums the keys, and checks the order when the scenario is ordered.
 */
export class KeyedSink extends Sink {
  /**
   * @param {number} n items expected
   * @param {(y: any) => number} key
   * @param {ArrayLike<number>} expected key of output #i, for `i` in `0 … n - 1`
   * @param {boolean} ordered whether outputs must arrive in input order
   */
  constructor(n, key, expected, ordered) {
    super(n, 0, ordered);
    this.key = key;
    this.expected = expected;
  }

  /**
   * Takes one output.
   * @param {unknown} y
   */
  add(y) {
    const k = this.key(y);
    if (this.ordered && k !== this.expected[this.count] && this.firstDisorder < 0) {
      this.firstDisorder = this.count;
    }
    this.sum += k;
    const c = ++this.count;
    if (c === this.mark10 || c === this.n) this.sample(c);
  }
}
