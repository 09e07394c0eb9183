import { checkOptionsObject, durationOption } from "../internal/validate.js";
import { limiterBounds } from "./limiter-bounds.js";
import type { Duration } from "../internal/duration.js";
import type { Limiter } from "./limiter.js";

/** Options of {@link elastic}. */
export interface ElasticOptions {
  /** The width it never goes below: an integer >= 1. */
  readonly min: number;
  /** The width it never goes above: an integer >= `min`. */
  readonly max: number;
  /**
   * How long the input must stay nearly empty (5% full or less) before the width halves
   * (not below `min`): ms or a string such as `"30s"`. Default 10 s.
   */
  readonly idle?: Duration;
  /** The width to start with: an integer from `min` to `max`. Default `min`. */
  readonly initial?: number;
}

/** Input fill at or above which the width grows. */
const GROW_AT = 0.8;
/** Input fill at or below which the input counts as nearly empty. */
const EMPTY_AT = 0.05;

/**
 * A width that follows the backlog (a Go worker pool that scales with its queue): while the
 * stage's input stays 80% full or more it grows by a quarter (at least 1) on each look, up
 * to `max`; once the input has been nearly empty for `idle`, it halves, down to `min`. It
 * looks at the input every `idle / 10` (from 10 ms to 1 s). Latency plays no part: use
 * `aimd()` or `gradient()` to follow a downstream's health.
 *
 * @example
 * from(queue).map(handle, { concurrency: elastic({ min: 2, max: 64, idle: "30s" }) })
 */
export function elastic(options: ElasticOptions): Limiter {
  const raw = checkOptionsObject("elastic", options, ["min", "max", "idle", "initial"]);
  const { min, max, initial } = limiterBounds("elastic", raw);
  const idle = durationOption("elastic.idle", raw.idle, 10_000);
  return new ElasticLimiter(min, max, idle, initial);
}

class ElasticLimiter implements Limiter {
  limit: number;
  readonly max: number;
  readonly observeEvery: number;
  readonly #min: number;
  readonly #idle: number;
  /** Since when the input has been nearly empty, or -1. */
  #emptySince = -1;

  constructor(min: number, max: number, idle: number, initial: number) {
    this.#min = min;
    this.max = max;
    this.#idle = idle;
    this.limit = initial;
    this.observeEvery = Math.max(10, Math.min(1_000, idle / 10));
  }

  onSample(): void {}

  observeInput(fill: number, now: number): void {
    if (fill >= GROW_AT) {
      this.#emptySince = -1;
      this.limit = Math.min(this.max, this.limit + Math.max(1, Math.floor(this.limit / 4)));
      return;
    }
    if (fill > EMPTY_AT) {
      this.#emptySince = -1;
      return;
    }
    if (this.#emptySince < 0) {
      this.#emptySince = now;
      return;
    }
    if (now - this.#emptySince >= this.#idle) {
      this.limit = Math.max(this.#min, Math.floor(this.limit / 2));
      // The next halving needs another idle spell.
      this.#emptySince = now;
    }
  }
}
