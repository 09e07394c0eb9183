/** The smallest bucket's upper bound, in ms (1 µs): anything at or below it shares bucket 0. */
const FIRST_BOUND_MS = 0.001;
/** Buckets per doubling: each bucket is 2^(1/4) ≈ 1.19 times as wide as the one below. */
const PER_DOUBLING = 4;
/** Doublings from 1 µs up to the last finite bound (2^34 µs ≈ 4.8 hours). */
const DOUBLINGS = 34;
const FINITE_BUCKETS = PER_DOUBLING * DOUBLINGS + 1;

/**
 * The upper bounds (inclusive, in ms) of every {@link LatencyHistogram}'s buckets, shared by
 * all of them: `1 µs × 2^(i/4)` for i = 0 … 136, from 0.001 ms to about 4.8 hours. A sample
 * above the last bound falls in one more bucket (`+Inf`), so `counts` is one longer.
 * Quantiles read from it are within about 9% of the true value (half a bucket's width).
 */
export const latencyBounds: readonly number[] = Object.freeze(
  Array.from({ length: FINITE_BUCKETS }, (_, i) => FIRST_BOUND_MS * 2 ** (i / PER_DOUBLING)),
);

/**
 * A latency histogram as plain data (JSON-able): counts per bucket of {@link latencyBounds},
 * with the count, sum and largest sample, and three quantiles read from the buckets.
 * Cumulative since the run started: the difference of two snapshots
 * ({@link histogramDelta}) is the histogram of the samples between them.
 */
export interface LatencyHistogram {
  /** Samples recorded. */
  readonly count: number;
  /** Their sum, in ms. */
  readonly sumMs: number;
  /** The largest sample, in ms (0 with no sample). */
  readonly maxMs: number;
  /** The median, in ms, from the buckets (`NaN` with no sample). */
  readonly p50Ms: number;
  /** The 90th percentile, in ms (`NaN` with no sample). */
  readonly p90Ms: number;
  /** The 99th percentile, in ms (`NaN` with no sample). */
  readonly p99Ms: number;
  /**
   * Samples per bucket: `counts[i]` holds samples in `(latencyBounds[i − 1], latencyBounds[i]]`
   * and the last entry those above the last bound. Length `latencyBounds.length + 1`.
   */
  readonly counts: readonly number[];
}

/** The bucket of a sample of `ms`. */
function bucketOf(ms: number): number {
  if (!(ms > FIRST_BOUND_MS)) return 0;
  const i = Math.ceil(Math.log2(ms / FIRST_BOUND_MS) * PER_DOUBLING - 1e-9);
  return i < FINITE_BUCKETS ? i : FINITE_BUCKETS;
}

/**
 * Records latency samples into fixed buckets: `record` is O(1) (a log and an add), memory is
 * fixed (138 counts) however many samples come; `snapshot` copies the counts.
 */
export class LatencyRecorder {
  readonly #counts = new Float64Array(FINITE_BUCKETS + 1);
  #count = 0;
  #sum = 0;
  #max = 0;

  /** Adds one sample, in ms (a negative or NaN sample counts as 0). */
  record(ms: number): void {
    const value = ms > 0 ? ms : 0;
    this.#counts[bucketOf(value)]!++;
    this.#count++;
    this.#sum += value;
    if (value > this.#max) this.#max = value;
  }

  /** Samples recorded so far. */
  get count(): number {
    return this.#count;
  }

  /** A copy of what it holds now. */
  snapshot(): LatencyHistogram {
    return withQuantiles(this.#count, this.#sum, this.#max, Array.from(this.#counts));
  }
}

function withQuantiles(
  count: number,
  sumMs: number,
  maxMs: number,
  counts: readonly number[],
): LatencyHistogram {
  return {
    count,
    sumMs,
    maxMs,
    p50Ms: quantileOf(counts, count, maxMs, 0.5),
    p90Ms: quantileOf(counts, count, maxMs, 0.9),
    p99Ms: quantileOf(counts, count, maxMs, 0.99),
    counts,
  };
}

/**
 * The `q` quantile (0 ≤ q ≤ 1) of a histogram, in ms: the upper bound of the bucket that
 * holds the nearest-rank sample, never above the largest sample. `NaN` when it holds none.
 */
export function histogramQuantile(histogram: LatencyHistogram, q: number): number {
  return quantileOf(histogram.counts, histogram.count, histogram.maxMs, q);
}

function quantileOf(counts: readonly number[], count: number, maxMs: number, q: number): number {
  if (count <= 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * count));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return i < FINITE_BUCKETS ? Math.min(latencyBounds[i]!, maxMs) : maxMs;
  }
  return maxMs;
}

/**
 * The samples recorded between two snapshots of one histogram (`later` minus `earlier`): what
 * a live view charts per interval. Its `maxMs` is `later`'s when the interval holds a sample
 * in `later`'s top bucket, else the upper bound of the highest bucket it holds.
 */
export function histogramDelta(
  later: LatencyHistogram,
  earlier: LatencyHistogram,
): LatencyHistogram {
  const counts = later.counts.map((n, i) => n - (earlier.counts[i] ?? 0));
  let top = -1;
  for (let i = counts.length - 1; i >= 0; i--) {
    if (counts[i]! > 0) {
      top = i;
      break;
    }
  }
  const maxMs =
    top < 0
      ? 0
      : top === bucketOf(later.maxMs) || top >= FINITE_BUCKETS
        ? later.maxMs
        : latencyBounds[top]!;
  return withQuantiles(later.count - earlier.count, later.sumMs - earlier.sumMs, maxMs, counts);
}
