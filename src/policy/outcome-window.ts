/** The window is kept as this many time buckets. */
const BUCKETS = 10;

/**
 * Counts calls and failures over a sliding window of time, for a circuit breaker's
 * failure-rate mode. Like the retry budget's window, it is 10 buckets of `window / 10`: the
 * counts cover the current bucket and the 9 before it, so the window slides in steps of a
 * tenth and covers between 90% and 100% of `window`.
 *
 * Cost: one array of 20 counts; each method is O(1) but for the buckets it passes (at most 10).
 */
export class OutcomeWindow {
  /** Calls in slots 0..9, failures in slots 10..19. */
  readonly #counts = new Uint32Array(2 * BUCKETS);
  readonly #bucketMs: number;
  #calls = 0;
  #failures = 0;
  /** The absolute number (now / bucketMs) of the newest bucket. */
  #head: number;

  constructor(windowMs: number, now: number) {
    this.#bucketMs = windowMs / BUCKETS;
    this.#head = Math.floor(now / this.#bucketMs);
  }

  /** Counts one call's outcome at time `now`. */
  record(ok: boolean, now: number): void {
    const slot = this.#advance(now);
    this.#counts[slot]!++;
    this.#calls++;
    if (!ok) {
      this.#counts[BUCKETS + slot]!++;
      this.#failures++;
    }
  }

  /** Calls in the window at time `now`. */
  calls(now: number): number {
    this.#advance(now);
    return this.#calls;
  }

  /** Failures in the window as of the last `record` or `calls`. */
  get failures(): number {
    return this.#failures;
  }

  /** Forgets every call. */
  clear(): void {
    this.#counts.fill(0);
    this.#calls = 0;
    this.#failures = 0;
  }

  /** Moves the head to the bucket of `now`, emptying the buckets it passes; returns its slot. */
  #advance(now: number): number {
    const bucket = Math.floor(now / this.#bucketMs);
    // A clock that steps back keeps the head where it was rather than un-expiring buckets.
    const steps = Math.min(Math.max(bucket - this.#head, 0), BUCKETS);
    for (let i = 1; i <= steps; i++) {
      const slot = slotOf(this.#head + i);
      this.#calls -= this.#counts[slot]!;
      this.#failures -= this.#counts[BUCKETS + slot]!;
      this.#counts[slot] = 0;
      this.#counts[BUCKETS + slot] = 0;
    }
    if (bucket > this.#head) this.#head = bucket;
    return slotOf(this.#head);
  }
}

/** The array slot of an absolute bucket number (negative on a clock before 0). */
function slotOf(bucket: number): number {
  return ((bucket % BUCKETS) + BUCKETS) % BUCKETS;
}
