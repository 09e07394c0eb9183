import type { ChunkChannel } from "../channel/chunk-channel.js";

/**
 * Values gathered for the next chunk downstream: handed over when `chunk` values are staged,
 * or on the next turn of the event loop (one `setImmediate` per chunk, never per item), so a
 * fast producer moves in chunks and a slow one is not held back. Shared by function stages
 * and the async source; hot loops push to `values` directly and compare with `chunk`.
 */
export class OutputStaging<T> {
  values: T[] = [];
  /** Values per chunk handed downstream. */
  readonly chunk: number;
  readonly #output: ChunkChannel<T>;
  readonly #onTurn: () => void;
  #immediate: NodeJS.Immediate | undefined;

  /** `onTurn` runs on the turn after a partial chunk was staged; by default it flushes. */
  constructor(output: ChunkChannel<T>, chunk: number, onTurn?: () => void) {
    this.#output = output;
    this.chunk = chunk;
    this.#onTurn = onTurn ?? (() => this.flush());
  }

  /** Stages one value, handing the chunk over when it is full. */
  push(value: T): void {
    if (this.values.push(value) >= this.chunk) this.flush();
    else this.#immediate ??= setImmediate(this.#turn);
  }

  /** Makes sure a partial chunk goes out on the next turn. */
  flushOnTurn(): void {
    if (this.values.length > 0) this.#immediate ??= setImmediate(this.#turn);
  }

  /** Hands what is staged downstream now. */
  flush(): void {
    this.cancelTurn();
    const values = this.values;
    if (values.length === 0) return;
    this.values = [];
    this.#output.pushChunk(values);
  }

  /** Drops staged values (the run stopped before they could go); returns how many. */
  drop(): number {
    this.cancelTurn();
    const dropped = this.values.length;
    this.values = [];
    return dropped;
  }

  cancelTurn(): void {
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
  }

  readonly #turn = (): void => {
    this.#immediate = undefined;
    this.#onTurn();
  };
}
