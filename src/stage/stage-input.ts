import type { StageInput } from "../contract/stage.js";

/** The unconsumed part of a taken chunk plus a shared refill, for a stage's slots. */
export class InputCursor<T> {
  buffer: T[] = [];
  position = 0;
  readonly #input: StageInput<T>;

  constructor(input: StageInput<T>) {
    this.#input = input;
  }

  /** Takes the next item; the caller checked `position < buffer.length`. */
  take(): T {
    const item = this.buffer[this.position++]!;
    if (this.position === this.buffer.length) this.#input.release(this.position);
    return item;
  }

  /** Whether an item can be taken now without waiting. */
  hasMore(): boolean {
    return this.position < this.buffer.length || this.#input.ready;
  }

  /** Marks the items before `position` as taken (a sync burst read them straight from `buffer`). */
  advanceTo(position: number): void {
    this.position = position;
    if (position === this.buffer.length) this.#input.release(position);
  }

  /** Loads the next chunk if one is ready; returns whether items are available. */
  tryRefill(): boolean {
    if (this.position < this.buffer.length) return true;
    const chunk = this.#input.takeChunk();
    if (chunk === undefined) return false;
    this.buffer = chunk;
    this.position = 0;
    return true;
  }

  /** Whether the input ended and every item was taken. */
  get ended(): boolean {
    return this.position >= this.buffer.length && this.#input.drained;
  }

  /** Calls `callback` once when the input may have a chunk or has ended. */
  onData(callback: () => void): void {
    this.#input.onData(callback);
  }

  /** Drops the rest of the current chunk and what is queued; returns how many. */
  discard(): number {
    const rest = this.buffer.length - this.position;
    if (rest > 0) this.#input.release(rest);
    this.buffer = [];
    this.position = 0;
    return rest + this.#input.discard();
  }
}
