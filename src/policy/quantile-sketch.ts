import { checkOptionsObject, integerOption, invalid } from "../internal/validate.js";

/** Defaults for {@link QuantileSketch}. */
export const quantileSketchDefaults = Object.freeze({
  /** Samples per window; the sketch reads the current window and the one before it. */
  window: 1_000,
  /** Samples in view below which `quantile()` answers `NaN`. */
  minSamples: 20,
});

/** Options of {@link QuantileSketch}. */
export interface QuantileSketchOptions {
  /** Samples per window (the view holds between 1 and 2 windows). Default 1,000; integer >= 1. */
  readonly window?: number;
  /**
   * Samples in view below which `quantile()` answers `NaN`. Default 20; integer from 1 to
   * `window`.
   */
  readonly minSamples?: number;
}

/** The smallest latency told apart from 0, in ms; anything below shares bucket 0. */
const MIN_MS = 0.01;
/** The largest latency told apart, in ms (about 2.8 hours); anything above shares the top bucket. */
const MAX_MS = 1e7;
/** The relative error of an answer: every bucket is `GAMMA` times wider than the one below. */
const RELATIVE_ERROR = 0.04;
const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);
/** Bucket 0 holds [0, MIN_MS); bucket i >= 1 holds [MIN_MS × γ^(i−1), MIN_MS × γ^i). */
const BUCKETS = 1 + Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GAMMA);

/**
 * A streaming estimate of latency quantiles, in ms, over the most recent samples: a
 * log-bucketed histogram (as in DDSketch, Masson et al., VLDB 2019) in which each bucket is
 * about 8% wider than the one below, so `quantile()` answers within 4% of the true sample
 * quantile (the nearest-rank one) for latencies from 0.01 ms to 10⁷ ms. Below 0.01 ms it
 * answers 0.01; above 10⁷ ms, about 10⁷.
 *
 * To follow a drifting distribution it keeps two windows of `window` samples: `add` fills the
 * current one and, when it is full, the current window becomes the previous one and the one
 * before is dropped. `quantile()` reads both, so it sees between `window + 1` and
 * `2 × window` of the latest samples once warm, and a sample has left the view at most
 * `2 × window` samples after it was added.
 *
 * Cost: memory is fixed (two arrays of 260 counts, about 2 KB) whatever the number of samples;
 * `add` is O(1), plus an O(260) scan once per `window` samples; `quantile` walks only the
 * buckets between the smallest and largest sample in view, and repeats its last answer until
 * the next `add`.
 */
export class QuantileSketch {
  /** Counts of the current window. */
  #current = new Uint32Array(BUCKETS);
  /** Counts of the current and the previous window together: what `quantile` reads. */
  #view = new Uint32Array(BUCKETS);
  #currentCount = 0;
  #viewCount = 0;
  /** Bounds of the buckets in view that may be non-zero (loose: a superset). */
  #low = BUCKETS;
  #high = -1;
  readonly #window: number;
  readonly #minSamples: number;
  #memoQ = Number.NaN;
  #memo = Number.NaN;

  constructor(options?: QuantileSketchOptions) {
    const raw = checkOptionsObject("QuantileSketch", options, ["window", "minSamples"]);
    this.#window = integerOption(
      "QuantileSketch.window",
      raw.window,
      quantileSketchDefaults.window,
      1,
    );
    this.#minSamples = integerOption(
      "QuantileSketch.minSamples",
      raw.minSamples,
      Math.min(quantileSketchDefaults.minSamples, this.#window),
      1,
      this.#window,
    );
  }

  /** Samples in view: those of the current window and the previous one. */
  get count(): number {
    return this.#viewCount;
  }

  /**
   * Adds one latency in ms. A negative one (a clock that stepped back) counts as 0; `NaN` is
   * ignored.
   */
  add(ms: number): void {
    if (Number.isNaN(ms)) return;
    if (this.#currentCount === this.#window) this.#rotate();
    const i = bucketOf(ms);
    this.#current[i]!++;
    this.#view[i]!++;
    this.#currentCount++;
    this.#viewCount++;
    if (i < this.#low) this.#low = i;
    if (i > this.#high) this.#high = i;
    this.#memoQ = Number.NaN;
  }

  /**
   * The `q` quantile of the samples in view (`0.95` for p95), in ms, within 4% of the sample
   * quantile; `NaN` while fewer than `minSamples` are in view. Throws an `InvalidOptionError`
   * when `q` is not strictly between 0 and 1.
   */
  quantile(q: number): number {
    if (typeof q !== "number" || !(q > 0 && q < 1)) {
      throw invalid("QuantileSketch.quantile(q)", "a number > 0 and < 1", q);
    }
    if (this.#viewCount < this.#minSamples) return Number.NaN;
    if (q === this.#memoQ) return this.#memo;
    // Nearest rank: the smallest sample with at least q × count samples at or below it.
    const rank = Math.max(1, Math.ceil(q * this.#viewCount));
    let seen = 0;
    let i = this.#low;
    for (; i < this.#high; i++) {
      seen += this.#view[i]!;
      if (seen >= rank) break;
    }
    this.#memoQ = q;
    this.#memo = valueOf(i);
    return this.#memo;
  }

  /** Drops the previous window: the view becomes the current window, and a new one starts. */
  #rotate(): void {
    const dropped = this.#view;
    this.#view = this.#current;
    // The old view's array is reused for the new current window rather than allocated.
    this.#current = dropped.fill(0);
    this.#viewCount = this.#currentCount;
    this.#currentCount = 0;
    this.#low = BUCKETS;
    this.#high = -1;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.#view[i] === 0) continue;
      if (i < this.#low) this.#low = i;
      this.#high = i;
    }
  }
}

/** The bucket of a latency. */
function bucketOf(ms: number): number {
  if (!(ms >= MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GAMMA));
}

/**
 * The value a bucket answers: for bucket i >= 1, `2 × lower × γ / (γ + 1)`, the point within
 * `RELATIVE_ERROR` of every value in [lower, lower × γ).
 */
function valueOf(bucket: number): number {
  if (bucket === 0) return MIN_MS;
  return (MIN_MS * GAMMA ** (bucket - 1) * 2 * GAMMA) / (GAMMA + 1);
}
