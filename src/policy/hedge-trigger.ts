import { type Duration, parseDuration } from "../internal/duration.js";
import { invalid } from "../internal/validate.js";
import { QuantileSketch } from "./quantile-sketch.js";

/**
 * When to hedge: a delay (ms, or a string such as `"50ms"`), or a percentile of the observed
 * latencies written `"p95"`, `"p99"`, `"p99.9"`.
 */
export type HedgeAfter = Duration | `p${number}`;

const PERCENTILE = /^p(\d+(?:\.\d+)?)$/;

const EXPECTATION =
  'a duration > 0 ms (a number of ms or a string such as "50ms") or a percentile from "p0" to "p100", exclusive, such as "p95" or "p99.9"';

/**
 * Validates a hedge's `after`: a number of ms > 0, a duration string (`"50ms"`), or `"pNN"`
 * with NN strictly between 0 and 100 (`"p95"`, `"p99.9"`). Returns the delay in ms, or
 * `{ quantile }` from 0 to 1 (`"p95"` → `{ quantile: 0.95 }`). Anything else throws an
 * `InvalidOptionError` naming `path` and the value.
 */
export function parseHedgeAfter(path: string, value: unknown): number | { quantile: number } {
  if (typeof value === "string") {
    const match = PERCENTILE.exec(value);
    if (match !== null) {
      const percent = Number(match[1]);
      // "99.9e-2" parses to 0.999 exactly, where 99.9 / 100 is 0.9990000000000001.
      if (percent > 0 && percent < 100) return { quantile: Number(`${match[1]}e-2`) };
      throw invalid(path, EXPECTATION, value);
    }
  }
  const ms = parseDuration(value);
  if (ms === undefined || !(ms > 0)) throw invalid(path, EXPECTATION, value);
  return ms;
}

/**
 * Decides how long a call runs before it is hedged: a fixed delay, or the current estimate of
 * a quantile of the latencies fed to `observe()` (kept in a {@link QuantileSketch}).
 *
 * Cost: a fixed delay costs nothing per call; a quantile costs one sketch `add` per observed
 * call and a walk of the sketch's occupied buckets per `delay()` after each `add`.
 */
export class HedgeTrigger {
  readonly #fixed: number | undefined;
  readonly #quantile: number;
  readonly #sketch: QuantileSketch;

  /**
   * `after`: a delay in ms, or `{ quantile }` strictly between 0 and 1 (as `parseHedgeAfter`
   * returns). `sketch`: where observed latencies go (a fresh one by default); share it to
   * learn from calls observed elsewhere.
   */
  constructor(after: number | { quantile: number }, sketch: QuantileSketch = new QuantileSketch()) {
    this.#fixed = typeof after === "number" ? after : undefined;
    this.#quantile = typeof after === "number" ? Number.NaN : after.quantile;
    this.#sketch = sketch;
  }

  /**
   * The delay in ms after which to hedge a call starting now; `Infinity` (do not hedge) while
   * the sketch holds fewer than its `minSamples` latencies.
   */
  delay(): number {
    if (this.#fixed !== undefined) return this.#fixed;
    const ms = this.#sketch.quantile(this.#quantile);
    return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
  }

  /** Feeds one successful call's latency, in ms; ignored with a fixed delay. */
  observe(ms: number): void {
    if (this.#fixed === undefined) this.#sketch.add(ms);
  }

  /** Whether the delay comes from observed latencies (a `"pNN"` trigger). */
  get learns(): boolean {
    return this.#fixed === undefined;
  }
}
