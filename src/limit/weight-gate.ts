import { describeValue } from "../internal/describe-value.js";

/** What {@link WeightGate.admit} decides for the item at the head of a stage's input. */
export const Admission = {
  /** It fits: start it. */
  Start: 0,
  /** It does not fit now: wait until calls in flight release weight. */
  Wait: 1,
  /** It can never start (too heavy, or its weight is not a number): fail it. */
  Fail: 2,
} as const;

/** One of {@link Admission}'s answers. */
export type Admission = (typeof Admission)[keyof typeof Admission];

/**
 * A weighted stage's semaphore: the sum of the weights of its calls in flight stays within
 * the stage's width. Items are admitted in input order only, so a heavy item at the head
 * waits for room and no lighter item overtakes it (no starvation). When nothing is in flight
 * an item starts alone even if the width was lowered below its weight, so a lowered width
 * slows the stage but never stalls it; an item heavier than the width the stage was built
 * with can never start and fails.
 */
export class WeightGate {
  /** Weight of the calls in flight now. */
  inFlight = 0;
  readonly #weigh: (item: unknown) => number;
  readonly #capacity: number;
  readonly #stage: string;
  readonly #option: string;
  /** Weight of each slot's call in flight. */
  readonly #slotWeight: number[] = [];
  /** The head item's weight, once computed (a waiting head is weighed once). */
  #head = -1;
  /** Why the last {@link Admission.Fail} failed. */
  failure: unknown = undefined;

  constructor(weigh: (item: unknown) => number, capacity: number, stage: string, kind: string) {
    this.#weigh = weigh;
    this.#capacity = capacity;
    this.#stage = stage;
    this.#option = `${kind}.weight`;
  }

  /** Whether `item`, the input's head and `index`-th item, may start under width `limit`. */
  admit(item: unknown, index: number, limit: number): Admission {
    let weight = this.#head;
    if (weight < 0) {
      try {
        weight = this.#weigh(item);
      } catch (error) {
        this.failure = error;
        return Admission.Fail;
      }
      if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) {
        this.failure = new TypeError(
          `Expected \`${this.#option}(item)\` to return a finite number >= 0, got ${describeValue(weight)} for item ${index} of stage "${this.#stage}"`,
        );
        return Admission.Fail;
      }
      if (weight > this.#capacity) {
        this.failure = new RangeError(
          `Item ${index} of stage "${this.#stage}" weighs ${weight}, more than the stage's whole capacity of ${this.#capacity}: it could never start`,
        );
        return Admission.Fail;
      }
      this.#head = weight;
    }
    return this.fits(weight, limit) ? Admission.Start : Admission.Wait;
  }

  /** The head item's weight, once {@link admit} said it may start (0 before). */
  get headWeight(): number {
    return Math.max(0, this.#head);
  }

  /** Whether an item of `weight` may start now under width `limit`. */
  fits(weight: number, limit: number): boolean {
    return this.inFlight === 0 || this.inFlight + weight <= limit;
  }

  /** The admitted head item was called: its weight leaves the cache. */
  consumed(): number {
    const weight = this.#head;
    this.#head = -1;
    this.failure = undefined;
    return weight;
  }

  /** The admitted head item went async in `slot`: its weight is in flight until it settles. */
  started(slot: number, weight: number): void {
    this.#slotWeight[slot] = weight;
    this.inFlight += weight;
  }

  /** The call in `slot` settled: its weight is free. */
  finished(slot: number): void {
    this.inFlight -= this.#slotWeight[slot] ?? 0;
    this.#slotWeight[slot] = 0;
    // Sums of fractional weights drift: an empty stage holds none.
    if (this.inFlight < 1e-9) this.inFlight = 0;
  }
}
