import type { Clock } from "./clock.js";
import { retryBudgetDefaults, WindowedRetryBudget } from "./retry-budget.js";

/**
 * Caps hedges as a share of calls, so hedging cannot multiply the load on a dependency that is
 * slow for everyone: a hedge is allowed while the hedges in a sliding window stay within
 * `minPerWindow + ratio × calls in the window` (by default 10 + ratio × calls per 10 s).
 *
 * It is the retry budget's sliding window (see `retryBudget()`: 10 buckets of a tenth of the
 * window each), counting calls and hedges instead of first attempts and retries. Share one
 * between several hedging policies or stages to cap them together.
 *
 * Cost: two arrays of 10 numbers; each method reads the clock once.
 */
export class HedgeBudget {
  readonly #window: WindowedRetryBudget;

  /**
   * `ratio`: hedges allowed per call, from 0 to 1. `windowMs`: the sliding window, in ms
   * (default 10 s). `minPerWindow`: hedges allowed per window on top of the ratio (default 10),
   * so a quiet service can still hedge. The arguments are not validated: `hedge()` validates
   * its options before it makes one.
   */
  constructor(
    ratio: number,
    clock: Clock,
    windowMs: number = retryBudgetDefaults.window,
    minPerWindow: number = retryBudgetDefaults.minPerWindow,
  ) {
    this.#window = new WindowedRetryBudget(ratio, windowMs, minPerWindow, clock);
  }

  /** Counts one call, which earns `ratio` of a hedge. */
  recordCall(): void {
    this.#window.recordFirst();
  }

  /** Takes one hedge if the budget allows it (and counts it); `false` leaves it unchanged. */
  tryHedge(): boolean {
    return this.#window.tryRetry();
  }

  /** Hedges the window allows now, before the next call. */
  get available(): number {
    return this.#window.available;
  }
}
