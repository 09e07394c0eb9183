/**
 * Where a stage takes its items from: the previous stage's channel, or the source.
 * Chunks stay counted against the upstream's capacity until released, so the upstream's
 * bound covers items a stage has taken but not yet started.
 */
export interface StageInput<T> {
  /** The next chunk if one is ready now; `undefined` otherwise. */
  takeChunk(): T[] | undefined;
  /** Frees room upstream for `n` taken items. */
  release(n: number): void;
  /** Calls `callback` once when a chunk may be ready or the input ended. */
  onData(callback: () => void): void;
  /** Whether a chunk is ready to take now. */
  readonly ready: boolean;
  /** Whether no chunk will ever come again. */
  readonly drained: boolean;
  /** Drops what is queued when the run stops; returns how many items were dropped. */
  discard(): number;
}

/** The unconsumed part of a taken chunk plus a shared refill, for a stage's workers. */
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

  /** Marks the items before `position` as taken (a worker read them straight from `buffer`). */
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
