import type { Clock } from "../../policy/clock.js";

/** An item backing off before its next attempt: it holds its place in the stage, not a slot. */
export interface RetryWait {
  readonly item: unknown;
  readonly index: number;
  /** Its weight, when the stage has a `weight` option (0 otherwise): taken again to start. */
  readonly weight: number;
  /** When it may start, on the stage's clock. */
  readonly due: number;
}

/**
 * The items of a stage waiting out their retry backoff, earliest first (a binary heap), with
 * one timer for the earliest: when it fires, the stage is woken and starts those that are due
 * before new input.
 */
export class RetryWaits {
  readonly #heap: RetryWait[] = [];
  readonly #clock: Clock;
  readonly #wake: () => void;
  #timer: unknown = undefined;
  #armedAt = Infinity;

  constructor(clock: Clock, wake: () => void) {
    this.#clock = clock;
    this.#wake = wake;
  }

  /** Items waiting. */
  get size(): number {
    return this.#heap.length;
  }

  add(wait: RetryWait): void {
    const heap = this.#heap;
    heap.push(wait);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.due <= wait.due) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = wait;
    if (wait.due < this.#armedAt) this.#arm(wait.due);
  }

  /** The earliest item if it is due now. */
  peekReady(): RetryWait | undefined {
    const head = this.#heap[0];
    if (head === undefined || head.due > this.#clock.now()) return undefined;
    return head;
  }

  /** Removes the earliest item (after {@link peekReady} returned it) and sets the timer on. */
  shift(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && heap[right]!.due < heap[left]!.due ? right : left;
        if (heap[child]!.due >= last.due) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    const head = heap[0];
    if (head === undefined) this.#disarm();
    else if (head.due !== this.#armedAt) this.#arm(head.due);
  }

  /** Drops every waiting item (the stage stopped) and the timer; returns how many there were. */
  clear(): number {
    const count = this.#heap.length;
    this.#heap.length = 0;
    this.#disarm();
    return count;
  }

  #arm(due: number): void {
    this.#disarm();
    this.#armedAt = due;
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, due - this.#clock.now()));
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const head = this.#heap[0];
    // Woken a little early by a coarse clock: wait the rest.
    if (head !== undefined && head.due > this.#clock.now()) this.#arm(head.due);
    this.#wake();
  };
}
