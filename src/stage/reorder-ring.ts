/** What a settled slot of the reorder ring holds. */
export const Slot = {
  Empty: 0,
  /** A value to emit; the item counts as `out`. */
  Value: 1,
  /** Nothing to emit (filtered, skipped). */
  None: 2,
  /** An array of values to emit (ordered flatMap); the item counts as `out`. */
  Many: 3,
  /** A failure result to emit (`onError: "collect"`); the item already counted as failed. */
  Failure: 4,
} as const;

/** One of the {@link Slot} states. */
export type Slot = (typeof Slot)[keyof typeof Slot];

/**
 * The ordered collector: a ring indexed by sequence number whose head is the next index to
 * emit. Dispatch is gated so that `next - head < size`, hence a slot is never reused before
 * it was emitted, and memory is `size` slots whatever the delays.
 */
export class ReorderRing {
  head = 0;
  readonly #values: unknown[];
  readonly #states: Uint8Array;
  readonly #size: number;

  constructor(size: number) {
    this.#size = size;
    this.#values = new Array<unknown>(size).fill(undefined);
    this.#states = new Uint8Array(size);
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
    for (const state of this.#states) if (state === Slot.Value || state === Slot.Many) waiting++;
    return waiting;
  }
}
