import type { Duration } from "../internal/duration.js";
import { checkOptionsObject, durationOption, invalid } from "../internal/validate.js";
import { limiterBounds } from "./limiter-bounds.js";
import type { Limiter } from "./limiter.js";

/** Options for {@link aimd}. */
export interface AimdOptions {
  /** The smallest limit: an integer >= 1. Required. */
  readonly min: number;
  /** The largest limit: an integer >= `min`. Required. It also sizes the stage's buffer. */
  readonly max: number;
  /** The limit to start at: an integer from `min` to `max`. Default `min`. */
  readonly initial?: number;
  /**
   * The latency target: a call that took longer counts as congestion and cuts the limit.
   * Milliseconds (number) or a string such as `"250ms"`, `"2s"`; > 0. Default: none, so only
   * failures cut the limit.
   */
  readonly latency?: Duration;
  /**
   * The multiplicative decrease: a cut sets `limit = floor(limit × backoff)`. Above 0, below
   * 1. Default 0.5.
   */
  readonly backoff?: number;
}

const KEYS = ["min", "max", "initial", "latency", "backoff"] as const;

const DEFAULTS = Object.freeze({
  /** No latency target: only failures are congestion. */
  latency: Number.POSITIVE_INFINITY,
  /**
   * Reno's halving, as the contract names it. The downstream stays busy through a cut only if
   * the cut leaves the limit at or above its capacity, and the limit peaks at about
   * `capacity × target / unqueued latency`: so `backoff` should be at least `unqueued latency
   * / target`. With 0.5 and a target 1.35x the unqueued latency the service stays 89% busy
   * (test/limit/simulation.test.ts); at 1.25x it is idle a sixth of the time (84%): raise
   * `backoff` (0.7 is CUBIC's) for a target that tight.
   */
  backoff: 0.5,
});

/**
 * An additive-increase, multiplicative-decrease limiter, as TCP congestion control: the
 * limit grows by 1 after each window of `limit` calls that succeed under the latency target
 * (about one per round trip), and is cut to `floor(limit × backoff)` (not below `min`) by a
 * failure or a call slower than the target. Use it when the downstream tells you it is
 * overloaded by failing or by slowing past a latency you can name; use `gradient()`
 * when you cannot name one.
 *
 * After a cut it ignores slow and failed calls that started before the cut, and any until
 * `limit` more calls have finished: calls started under the old limit report the congestion
 * already acted on, so one overload costs one cut, not a cut per queued call (TCP's "once
 * per round trip"). A success counts towards the window whenever it started. It does not grow
 * while the stage is app-limited (a call started with fewer than `limit / 2` in flight),
 * since such calls say nothing about whether more would fit.
 *
 * Costs a few arithmetic operations per sample; keeps no history. The limit is an integer
 * from `min` to `max`.
 *
 * @throws {InvalidOptionError} when an option is missing, out of range or unknown.
 * @example
 * from(ids).map(fetchUser, { concurrency: aimd({ min: 1, max: 200, latency: "250ms" }) })
 */
export function aimd(options: AimdOptions): Limiter {
  const raw = checkOptionsObject("aimd", options, KEYS);
  const { min, max, initial } = limiterBounds("aimd", raw);
  const latency = durationOption("aimd.latency", raw.latency, DEFAULTS.latency);
  const backoff = raw.backoff ?? DEFAULTS.backoff;
  if (typeof backoff !== "number" || !(backoff > 0 && backoff < 1)) {
    throw invalid("aimd.backoff", "a number above 0 and below 1", backoff);
  }
  return new AimdLimiter(min, max, initial, latency, backoff);
}

class AimdLimiter implements Limiter {
  readonly max: number;
  #limit: number;
  readonly #min: number;
  readonly #latency: number;
  readonly #backoff: number;
  /** Successes counted towards the current window of `limit`. */
  #successes = 0;
  /** Calls finished since the last cut, counted up to `limit`. */
  #sinceCut = Number.POSITIVE_INFINITY;
  /** When the last cut happened (`-Infinity`: never). */
  #cutAt = Number.NEGATIVE_INFINITY;

  constructor(min: number, max: number, initial: number, latency: number, backoff: number) {
    this.#min = min;
    this.max = max;
    this.#limit = initial;
    this.#latency = latency;
    this.#backoff = backoff;
  }

  get limit(): number {
    return this.#limit;
  }

  onSample(latency: number, inFlight: number, dropped: boolean, now: number): void {
    if (this.#sinceCut < this.#limit) this.#sinceCut++;
    // `NaN > target` is false, so an untimed call can never count as slow.
    if (dropped || latency > this.#latency) {
      if (!this.#holdingOff(latency, now)) this.#cut(now);
      return;
    }
    if (inFlight < this.#limit / 2) return;
    if (++this.#successes >= this.#limit) {
      this.#successes = 0;
      if (this.#limit < this.max) this.#limit++;
    }
  }

  /**
   * Whether a slow or failed call reports congestion already acted on: it started before the
   * last cut (TCP's recovery point; when it is timed its start is `now - latency`), or fewer
   * than `limit` calls have finished since the cut (the only test an untimed failure allows).
   * Counting alone is not enough: the cut leaves the old limit's calls in flight, more than
   * the new limit, and the last of them would cut a second time.
   */
  #holdingOff(latency: number, now: number): boolean {
    return now - latency < this.#cutAt || this.#sinceCut < this.#limit;
  }

  #cut(now: number): void {
    this.#limit = Math.max(this.#min, Math.floor(this.#limit * this.#backoff));
    this.#successes = 0;
    this.#sinceCut = 0;
    this.#cutAt = now;
  }
}
