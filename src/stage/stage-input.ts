import { STAMP_EVERY } from "../channel/chunk-channel.js";
import type { StageInput } from "../contract/stage.js";
import type { ChunkArrival } from "../observe/stage-timing.js";

/** The unconsumed part of a taken chunk plus a shared refill, for a stage's slots. */
export class InputCursor<T> implements ChunkArrival {
  buffer: T[] = [];
  position = 0;
  /**
   * When the chunk in `buffer` reached the stage's input (`performance.now()`), while the run
   * records metrics; 0 otherwise. An input read on demand arrives as it is taken.
   */
  arrivedAt = 0;
  readonly #input: StageInput<T>;
  readonly #timed: boolean;
  /** Refills of an input read on demand before the next one reads the clock. */
  #clockCountdown = 1;
  /** Items {@link discard} dropped: the stage's `discarded` counter. */
  discarded = 0;

  constructor(input: StageInput<T>, timed = false) {
    this.#input = input;
    this.#timed = timed;
    if (timed) input.stampArrivals?.();
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
    if (this.#timed) this.#stampTaken();
    return true;
  }

  /**
   * Sets {@link arrivedAt} for the chunk just taken: the input's stamp, or for an input read
   * on demand (whose items arrive as they are taken) the clock, one refill in 16 as a
   * channel stamps one chunk in 16; 0 when it was not stamped (no queue time is taken).
   */
  #stampTaken(): void {
    const arrival = this.#input.arrival;
    if (arrival !== undefined) {
      this.arrivedAt = arrival;
    } else if (--this.#clockCountdown === 0) {
      this.#clockCountdown = STAMP_EVERY;
      this.arrivedAt = performance.now();
    } else {
      this.arrivedAt = 0;
    }
  }

  /** Whether the input ended and every item was taken. */
  get ended(): boolean {
    return this.position >= this.buffer.length && this.#input.drained;
  }

  /** Calls `callback` once when the input may have a chunk or has ended. */
  onData(callback: () => void): void {
    this.#input.onData(callback);
  }

  /** Items at the input not taken yet: queued ones and the rest of the current chunk. */
  get waiting(): number {
    const depth = this.#input.depth;
    if (depth === undefined) return this.buffer.length - this.position;
    // The current chunk stays counted in `depth` until all of it was taken.
    return this.position < this.buffer.length ? depth - this.position : depth;
  }

  /** Drops the rest of the current chunk and what is queued, counting them in `discarded`. */
  discard(): void {
    const rest = this.buffer.length - this.position;
    if (rest > 0) this.#input.release(rest);
    this.buffer = [];
    this.position = 0;
    this.discarded += rest + this.#input.discard();
  }
}
