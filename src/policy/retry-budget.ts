import {
  checkOptionsObject,
  durationOption,
  integerOption,
  invalid,
  numberOption,
} from "../internal/validate.js";
import type { Duration } from "../internal/duration.js";
import { type Clock, clockOption } from "./clock.js";

/** Defaults for {@link retryBudget}. */
export const retryBudgetDefaults = Object.freeze({
  /** The sliding window, in ms. */
  window: 10_000,
  /** Retries allowed per window on top of the ratio, so low traffic can still retry. */
  minPerWindow: 10,
});

/** The window is kept as this many time buckets; see {@link retryBudget}. */
const BUCKETS = 10;

/**
 * Caps retries as a share of first attempts, so retries cannot multiply an outage. Share one
 * between several `retry()` policies to cap them together.
 */
export interface RetryBudget {
  /** Counts one first attempt (a call), which earns retries. */
  recordFirst(): void;
  /** Takes one retry if the budget allows it (and counts it); `false` leaves it unchanged. */
  tryRetry(): boolean;
}

/** Options of {@link retryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed per first attempt, from 0 to 1 (0.1: one retry per ten calls). Required. */
  readonly ratio: number;
  /** The sliding window, in ms or a string such as `"10s"`. Default 10 s; > 0. */
  readonly window?: Duration;
  /** Retries allowed per window on top of the ratio. Default 10; integer >= 0. */
  readonly minPerWindow?: number;
  /** The clock the window runs on. Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * A retry budget over a sliding window: a retry is allowed while the retries in the window
 * stay within `minPerWindow + ratio × first attempts in the window`.
 *
 * The minimum is added to the ratio rather than taken as a floor (as Finagle's `RetryBudget`
 * does with `minRetriesPerSec`; Envoy's `min_retry_concurrency` and gRPC's token bucket are the
 * same idea), so a quiet service can still retry a few times while a busy one in an outage
 * makes at most `ratio` more calls than its callers asked for, plus the minimum.
 *
 * The window is 10 buckets of `window / 10`: the counts cover the current bucket and the 9
 * before it, so the window slides in steps of a tenth and covers between 90% and 100% of
 * `window`. Cost: two arrays of 10 numbers; each call reads the clock once.
 */
export function retryBudget(options: RetryBudgetOptions): RetryBudget {
  const raw = checkOptionsObject("retryBudget", options, [
    "ratio",
    "window",
    "minPerWindow",
    "clock",
  ]);
  // Required: undefined gets the same sentence as any other wrong value.
  if (raw.ratio === undefined)
    throw invalid("retryBudget.ratio", "a number from 0 to 1", undefined);
  const ratio = numberOption("retryBudget.ratio", raw.ratio, 0, 0, 1);
  const window = durationOption("retryBudget.window", raw.window, retryBudgetDefaults.window);
  const minPerWindow = integerOption(
    "retryBudget.minPerWindow",
    raw.minPerWindow,
    retryBudgetDefaults.minPerWindow,
    0,
  );
  const clock = clockOption("retryBudget.clock", raw.clock);
  return new WindowedRetryBudget(ratio, window, minPerWindow, clock);
}

/** The {@link RetryBudget} that {@link retryBudget} builds. */
export class WindowedRetryBudget implements RetryBudget {
  readonly #ratio: number;
  readonly #minPerWindow: number;
  readonly #bucketMs: number;
  readonly #clock: Clock;
  readonly #firsts = new Array<number>(BUCKETS).fill(0);
  readonly #retries = new Array<number>(BUCKETS).fill(0);
  #firstsTotal = 0;
  #retriesTotal = 0;
  /** The absolute number (now / bucketMs) of the newest bucket. */
  #head: number;

  constructor(ratio: number, windowMs: number, minPerWindow: number, clock: Clock) {
    this.#ratio = ratio;
    this.#minPerWindow = minPerWindow;
    this.#bucketMs = windowMs / BUCKETS;
    this.#clock = clock;
    this.#head = Math.floor(clock.now() / this.#bucketMs);
  }

  recordFirst(): void {
    const slot = this.#advance();
    this.#firsts[slot]!++;
    this.#firstsTotal++;
  }

  tryRetry(): boolean {
    const slot = this.#advance();
    if (this.#retriesTotal + 1 > this.#minPerWindow + this.#ratio * this.#firstsTotal) {
      return false;
    }
    this.#retries[slot]!++;
    this.#retriesTotal++;
    return true;
  }

  /** Retries the window allows now, before the next first attempt. */
  get available(): number {
    this.#advance();
    return Math.max(
      0,
      Math.floor(this.#minPerWindow + this.#ratio * this.#firstsTotal - this.#retriesTotal),
    );
  }

  /** Moves the head to the current bucket, emptying the buckets it passes; returns its slot. */
  #advance(): number {
    const now = Math.floor(this.#clock.now() / this.#bucketMs);
    // A clock that steps back (a user's) keeps the head where it was rather than un-expiring.
    const steps = Math.min(Math.max(now - this.#head, 0), BUCKETS);
    for (let i = 1; i <= steps; i++) {
      const slot = bucketSlot(this.#head + i);
      this.#firstsTotal -= this.#firsts[slot]!;
      this.#retriesTotal -= this.#retries[slot]!;
      this.#firsts[slot] = 0;
      this.#retries[slot] = 0;
    }
    if (now > this.#head) this.#head = now;
    return bucketSlot(this.#head);
  }
}

/** The array slot of an absolute bucket number (which is negative on a clock before 0). */
function bucketSlot(bucket: number): number {
  return ((bucket % BUCKETS) + BUCKETS) % BUCKETS;
}
