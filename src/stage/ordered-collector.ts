/** What a settled slot of the reorder ring holds. */
export const Slot = {
  Empty: 0,
  /** A value to emit; the item counts as `out`. */
  Value: 1,
  /** Nothing to emit (filtered, skipped, consumed by forEach). */
  None: 2,
  /** A failure result to emit (`onError: "collect"`); the item already counted as failed. */
  Failure: 4,
} as const;

/** One of the {@link Slot} states. */
export type Slot = (typeof Slot)[keyof typeof Slot];

/** Receives the results of an ordered stage in input order. */
export type Deliver = (state: Slot, value: unknown) => void;

/**
 * The ordered collector: a ring indexed by sequence number whose head is the next index to
 * emit. Dispatch is gated so that `next - head < size`, hence a slot is never reused before
 * it was emitted, and memory is `size` slots whatever the delays.
 */
export class OrderedCollector {
  head = 0;
  readonly #values: unknown[];
  readonly #states: Uint8Array;
  readonly #size: number;
  readonly #deliver: Deliver;

  constructor(size: number, deliver: Deliver) {
    this.#size = size;
    this.#values = new Array<unknown>(size).fill(undefined);
    this.#states = new Uint8Array(size);
    this.#deliver = deliver;
  }

  /**
   * Records the result of item `index`: delivered at once when it is the head, together with
   * every result already waiting behind it; stored otherwise.
   */
  settle(index: number, state: Slot, value: unknown): void {
    if (index !== this.head) {
      this.store(index, state, value);
      return;
    }
    this.head++;
    const deliver = this.#deliver;
    deliver(state, value);
    while (this.headState() !== Slot.Empty) {
      const headState = this.headState();
      deliver(headState, this.shiftHead());
    }
  }

  /**
   * The head's result was delivered by the caller: moves past it and delivers every result
   * already waiting behind it.
   */
  advancePastHead(): void {
    this.head++;
    if (this.headState() === Slot.Empty) return;
    const deliver = this.#deliver;
    while (this.headState() !== Slot.Empty) {
      const headState = this.headState();
      deliver(headState, this.shiftHead());
    }
  }

  /** Stores a result that finished before the head. */
  store(index: number, state: Slot, value: unknown): void {
    const slot = index % this.#size;
    this.#values[slot] = value;
    this.#states[slot] = state;
  }

  /** The state at the head: `Slot.Empty` while the head item is still running. */
  headState(): Slot {
    return this.#states[this.head % this.#size] as Slot;
  }

  /** Removes and returns the head's value; the caller read a non-empty `headState()`. */
  shiftHead(): unknown {
    const slot = this.head % this.#size;
    const value = this.#values[slot];
    this.#values[slot] = undefined;
    this.#states[slot] = Slot.Empty;
    this.head++;
    return value;
  }

  /** Counts results waiting behind the head (emitted nowhere), for accounting on stop. */
  countWaiting(): number {
    let waiting = 0;
    for (const state of this.#states) if (state === Slot.Value) waiting++;
    return waiting;
  }
}
