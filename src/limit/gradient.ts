import { checkOptionsObject, integerOption, invalid } from "../internal/validate.js";
import { limiterBounds } from "./limiter-bounds.js";
import type { Limiter } from "./limiter.js";

/** Options for {@link gradient}. */
export interface GradientOptions {
  /** The smallest limit: an integer >= 1. Required. */
  readonly min: number;
  /** The largest limit: an integer >= `min`. Required. It also sizes the stage's buffer. */
  readonly max: number;
  /** The limit to start at: an integer from `min` to `max`. Default `min`. */
  readonly initial?: number;
  /**
   * How much slower than the baseline latency calls may get before the limit shrinks: a
   * number >= 1, where 1.2 tolerates 20%. Default 1.05.
   */
  readonly tolerance?: number;
  /**
   * How far each timed call moves the limit towards its new estimate: above 0, at most 1.
   * Default 0.2.
   */
  readonly smoothing?: number;
  /**
   * Timed calls the baseline (long) latency averages over: an integer > `shortWindow`.
   * Default 600.
   */
  readonly longWindow?: number;
  /** Timed calls the current (short) latency averages over: an integer >= 1. Default 10. */
  readonly shortWindow?: number;
  /**
   * Every this many timed calls (not counting app-limited ones), the limit is halved so the
   * downstream queue drains and the baseline is measured afresh: an integer >= 1. Default
   * `longWindow`.
   */
  readonly probeEvery?: number;
}

const KEYS = [
  "min",
  "max",
  "initial",
  "tolerance",
  "smoothing",
  "longWindow",
  "shortWindow",
  "probeEvery",
] as const;

const DEFAULTS = Object.freeze({
  /**
   * Netflix's Gradient2 uses 1.5: it lets latency grow 50% over the baseline before it backs
   * off, so in front of a 10-wide service it parks 5 calls or more in the downstream queue
   * and every call waits 1.5x or more. 1.05 leaves the standing queue to
   * `QUEUE_ALLOWANCE` and keeps 5% for noise: the baseline follows the short average
   * down quickly (see `#observe`), so it sits near the bottom of it, and a tolerance of
   * exactly 1 would read ordinary jitter as queueing. test/limit/simulation.test.ts pins
   * what this buys: p99 < 1.5x the service time.
   */
  tolerance: 1.05,
  smoothing: 0.2,
  longWindow: 600,
  shortWindow: 10,
});

/**
 * Extra calls the limit may hold beyond what the latency gradient allows: the standing
 * downstream queue it aims for, and what lets it probe upwards when there is no queue at
 * all. One call: each sample then moves a limit with no queueing up by `smoothing` (about
 * +20% per round trip, which brings `limit` samples), while a 10-wide service sees latency
 * grow by only a tenth. Netflix's 4, or sqrt(limit), would add 30-40% to every call's
 * latency in front of a service that narrow.
 */
const QUEUE_ALLOWANCE = 1;

/** Samples the long average takes as a plain mean before it becomes exponential. */
const WARM_UP = 10;

/**
 * A latency-gradient limiter after Netflix's Gradient2: it compares a short average of call
 * latency with a long one (the baseline) and shrinks the limit as the short one rises above
 * it, since calls slower than the baseline are calls waiting in a queue downstream. Use it
 * when you cannot name a latency target; use `aimd()` when you can.
 *
 * On each timed call: `gradient = clamp(tolerance × long / short, 0.5, 1)`, then the limit
 * moves `smoothing` of the way to `limit × gradient + 1`, bounded to `min..max`. A failure
 * counts as a gradient of 0.5, timed or not, even while app-limited; untimed successes (`NaN`
 * latency) are ignored. Otherwise the limit does not move while the stage is app-limited (a
 * call started with fewer than `limit / 2` in flight), since such calls say nothing about the
 * downstream's capacity. The limit stays fractional; the stage rounds it down.
 *
 * Gradient2's known weakness is that under a standing queue the long average drifts up to the
 * queued latency and the limit creeps to `max`. Here the long average follows the short one
 * down as fast as the short one moves, and every `probeEvery` timed calls the limit is halved
 * so the queue drains and the baseline drops back to the unqueued latency (BBR's ProbeRTT;
 * Netflix's first Gradient probed the same way). A probe costs a brief dip: about 2% of
 * throughput at the default interval in test/limit/simulation.test.ts.
 *
 * Costs a few arithmetic operations per sample and keeps two averages, no history.
 *
 * @throws {InvalidOptionError} when an option is missing, out of range or unknown.
 * @example
 * from(ids).map(fetchUser, { concurrency: gradient({ min: 1, max: 200 }) })
 */
export function gradient(options: GradientOptions): Limiter {
  const raw = checkOptionsObject("gradient", options, KEYS);
  const { min, max, initial } = limiterBounds("gradient", raw);
  const tolerance = raw.tolerance ?? DEFAULTS.tolerance;
  if (typeof tolerance !== "number" || !(tolerance >= 1 && tolerance < Infinity)) {
    throw invalid("gradient.tolerance", "a finite number >= 1", tolerance);
  }
  const smoothing = raw.smoothing ?? DEFAULTS.smoothing;
  if (typeof smoothing !== "number" || !(smoothing > 0 && smoothing <= 1)) {
    throw invalid("gradient.smoothing", "a number above 0 and at most 1", smoothing);
  }
  const shortWindow = integerOption(
    "gradient.shortWindow",
    raw.shortWindow,
    DEFAULTS.shortWindow,
    1,
  );
  const longWindow = integerOption("gradient.longWindow", raw.longWindow, DEFAULTS.longWindow, 1);
  if (longWindow <= shortWindow) {
    // Name the option that was given: a default the user never wrote is no help.
    throw raw.shortWindow === undefined
      ? invalid("gradient.longWindow", `> \`gradient.shortWindow\` (${shortWindow})`, longWindow)
      : invalid("gradient.shortWindow", `< \`gradient.longWindow\` (${longWindow})`, shortWindow);
  }
  const probeEvery = integerOption("gradient.probeEvery", raw.probeEvery, longWindow, 1);
  return new GradientLimiter({
    min,
    max,
    initial,
    tolerance,
    smoothing,
    shortWindow,
    longWindow,
    probeEvery,
  });
}

interface Settings {
  readonly min: number;
  readonly max: number;
  readonly initial: number;
  readonly tolerance: number;
  readonly smoothing: number;
  readonly shortWindow: number;
  readonly longWindow: number;
  readonly probeEvery: number;
}

class GradientLimiter implements Limiter {
  readonly max: number;
  #limit: number;
  readonly #settings: Settings;
  readonly #short: Average;
  readonly #long: Average;
  /** Timed calls until the next probe. */
  #untilProbe: number;

  constructor(settings: Settings) {
    this.#settings = settings;
    this.max = settings.max;
    this.#limit = settings.initial;
    this.#short = new Average(settings.shortWindow);
    this.#long = new Average(settings.longWindow);
    this.#untilProbe = settings.probeEvery;
  }

  get limit(): number {
    return this.#limit;
  }

  onSample(latency: number, inFlight: number, dropped: boolean, _now: number): void {
    if (dropped) {
      // A failure's latency says nothing about the queue (a fast rejection, a timeout), so
      // it stays out of the averages; it still says the downstream is struggling.
      this.#move(0.5);
      return;
    }
    // NaN: untimed. A negative or infinite latency would poison both averages for good.
    if (!(latency >= 0 && latency < Number.POSITIVE_INFINITY)) return;
    this.#observe(latency);
    if (inFlight < this.#limit / 2) return;
    if (--this.#untilProbe <= 0) {
      this.#probe();
      return;
    }
    const short = this.#short.value;
    // Calls that take 0 ms (a coarse clock) queue nowhere: a gradient of 1, not 0 / 0.
    const ratio = short > 0 ? (this.#settings.tolerance * this.#long.value) / short : 1;
    this.#move(clamp(ratio, 0.5, 1));
  }

  #observe(latency: number): void {
    const short = this.#short.add(latency);
    const long = this.#long.add(latency);
    // The baseline follows the short average down as fast as the short average moves, and up
    // only at the long window's pace: a drop in latency is news about the unqueued latency, a
    // rise is usually our own queue. Gradient2's symmetric average instead climbs to the
    // queued latency under a standing queue and lets the limit creep to `max`.
    if (short < long) this.#long.value = long + this.#short.factor * (short - long);
    // Gradient2's recovery after a long overload: the baseline learned during it is far
    // above the latency now, so step it down faster than the average alone would.
    if (this.#long.value > 2 * short) this.#long.value *= 0.95;
  }

  /**
   * Halves the limit so the queue drains: the short average falls to the unqueued latency
   * and the baseline follows it down, undoing any upward drift since the last probe. The long
   * average's time constant is about `longWindow / 2` calls, so a probe every `longWindow`
   * calls bounds the creep: in front of a queue of capacity 10 (test/limit/gradient.test.ts)
   * the limit peaks at 16 with probes and passes 60 in 6,000 calls without them.
   */
  #probe(): void {
    this.#untilProbe = this.#settings.probeEvery;
    this.#limit = Math.max(this.#settings.min, this.#limit / 2);
  }

  #move(gradient: number): void {
    const { smoothing, min, max } = this.#settings;
    const target = this.#limit * gradient + QUEUE_ALLOWANCE;
    const next = this.#limit * (1 - smoothing) + target * smoothing;
    this.#limit = clamp(next, min, max);
  }
}

/**
 * An exponential moving average over about `window` samples (factor `2 / (window + 1)`),
 * which is the plain mean of its first samples (up to {@link WARM_UP}), so it does not start
 * from an arbitrary value.
 */
class Average {
  value = Number.NaN;
  readonly factor: number;
  readonly #warmUp: number;
  #count = 0;

  constructor(window: number) {
    this.factor = 2 / (window + 1);
    this.#warmUp = Math.min(window, WARM_UP);
  }

  add(sample: number): number {
    if (this.#count < this.#warmUp) {
      this.#count++;
      this.value = this.#count === 1 ? sample : this.value + (sample - this.value) / this.#count;
    } else {
      this.value += this.factor * (sample - this.value);
    }
    return this.value;
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
