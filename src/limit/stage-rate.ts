import { RateGate, type RateLimitSpec, type Waiting } from "./rate-gate.js";

/** What {@link StageRate.admit} decides for the item at the head of a stage's input. */
export const RateAdmission = {
  /** A token was taken: start it. */
  Start: 0,
  /** The stage's one bucket is empty: wait (a timer wakes the stage). */
  Wait: 1,
  /** Its key's bucket is empty: the item waits in its key's line (it took its index). */
  Parked: 2,
  /** Its key could not be read (`key` threw): fail it. */
  Fail: 3,
} as const;

/** One of {@link RateAdmission}'s answers. */
export type RateAdmission = (typeof RateAdmission)[keyof typeof RateAdmission];

/**
 * A function stage's side of its `rateLimit`: the token bucket(s) and the stage's one timer,
 * armed for the earliest moment a waiting item (or the stage's head) earns a token.
 */
export class StageRate {
  readonly #gate: RateGate;
  readonly #wake: () => void;
  #timer: NodeJS.Timeout | undefined;
  #due = Number.POSITIVE_INFINITY;
  /** Why the last {@link RateAdmission.Fail} failed. */
  failure: unknown = undefined;

  constructor(spec: RateLimitSpec, wake: () => void) {
    this.#gate = new RateGate(spec, Date.now());
    this.#wake = wake;
  }

  /** Items that took their place in the stage and wait for a token, or have one and wait to start. */
  get held(): number {
    return this.#gate.waiting + this.#gate.ready.length;
  }

  /** The next waiting item whose token has come, if any, left in line. */
  peekReady(): Waiting | undefined {
    return this.#gate.ready[0];
  }

  /** Takes the item {@link peekReady} showed out of line. */
  shiftReady(): void {
    this.#gate.ready.shift();
  }

  /**
   * Asks for a token for `item`, the head of the input, which would take index `index` (and
   * weighs `weight`, kept for when it waits).
   */
  admit(item: unknown, index: number, weight: number): RateAdmission {
    const gate = this.#gate;
    const now = Date.now();
    if (!gate.keyed) {
      const wait = gate.tryTake(now);
      if (wait === 0) return RateAdmission.Start;
      this.#arm(now, wait);
      return RateAdmission.Wait;
    }
    let key: unknown;
    try {
      key = gate.keyOf(item);
    } catch (error) {
      this.failure = error;
      return RateAdmission.Fail;
    }
    const wait = gate.takeOrWait(key, { item, index, weight }, now);
    if (wait === 0) return RateAdmission.Start;
    this.#arm(now, wait);
    return RateAdmission.Parked;
  }

  /** Drops every held item and the timer (the stage stopped); returns how many were held. */
  clear(): number {
    this.#disarm();
    return this.#gate.clear();
  }

  /** Buckets held now (for tests of eviction). */
  get buckets(): number {
    return this.#gate.buckets;
  }

  #arm(now: number, wait: number): void {
    const due = now + wait;
    if (this.#timer !== undefined && this.#due <= due) return;
    this.#disarm();
    this.#due = due;
    this.#timer = setTimeout(this.#onTimer, wait);
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due = Number.POSITIVE_INFINITY;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#due = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const next = this.#gate.refill(now);
    if (Number.isFinite(next)) this.#arm(now, Math.max(1, next));
    this.#wake();
  };
}
