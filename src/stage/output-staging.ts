import type { ChunkChannel } from "../channel/chunk-channel.js";

/**
 * Values gathered for the next chunk downstream: handed over when `chunk` values are staged,
 * or on the next turn of the event loop (one `setImmediate` per chunk, never per item), so a
 * fast producer moves in chunks and a slow one is not held back. Shared by function stages
 * (which extend it: their per-item path then reads `values` and `chunk` as their own fields,
 * one load fewer per item) and the async source; hot loops push to `values` directly.
 */
export class OutputStaging<T> {
  values: T[] = [];
  /** Values per chunk handed downstream. */
  readonly chunk: number;
  /** Where chunks go. */
  readonly output: ChunkChannel<T>;
  #immediate: NodeJS.Immediate | undefined;
  /** Whether a hand-over on the next turn is scheduled: hot loops test it before {@link schedule}. */
  scheduled = false;

  constructor(output: ChunkChannel<T>, chunk: number) {
    this.output = output;
    this.chunk = chunk;
  }

  /** Runs on the turn after a partial chunk was staged; flushes unless a subclass says more. */
  protected onTurn(): void {
    this.flush();
  }

  /** Stages one value, handing the chunk over when it is full. */
  push(value: T): void {
    if (this.values.push(value) >= this.chunk) this.flush();
    else if (!this.scheduled) this.schedule();
  }

  /** Makes sure a partial chunk goes out on the next turn. */
  flushOnTurn(): void {
    if (this.values.length > 0 && !this.scheduled) this.schedule();
  }

  /** Schedules the hand-over on the next turn; the caller checked `scheduled`. */
  schedule(): void {
    this.scheduled = true;
    this.#immediate = setImmediate(this.#turn);
  }

  /** Hands what is staged downstream now. */
  flush(): void {
    // A turn already scheduled stays: it finds nothing staged, or the next partial chunk.
    // Cancelling it here cost a setImmediate and a clearImmediate per chunk (bench/ S6).
    const values = this.values;
    if (values.length === 0) return;
    this.values = [];
    this.output.pushChunk(values);
  }

  /** Drops staged values (the run stopped before they could go); returns how many. */
  drop(): number {
    this.cancelTurn();
    const dropped = this.values.length;
    this.values = [];
    return dropped;
  }

  cancelTurn(): void {
    if (this.scheduled) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
      this.scheduled = false;
    }
  }

  readonly #turn = (): void => {
    this.#immediate = undefined;
    this.scheduled = false;
    this.onTurn();
  };
}
