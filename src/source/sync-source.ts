import type { RunControl } from "../contract/run-control.js";
import { type ChunkRead, ChunkedSyncSource } from "./chunked-sync-source.js";

/**
 * Reads a sync iterator in chunks, on demand, on the calling stage: no promise and no
 * copy between the source and the first stage. Looks ahead at most one chunk.
 */
export class SyncSource<T> extends ChunkedSyncSource<T> {
  readonly #iterator: Iterator<T>;

  constructor(iterator: Iterator<T>, chunk: number, run: RunControl) {
    super(chunk, run);
    this.#iterator = iterator;
  }

  protected read(chunk: T[], size: number, read: ChunkRead): void {
    const iterator = this.#iterator;
    let count = 0;
    try {
      for (; count < size; count++) {
        const result = iterator.next();
        if (result.done) {
          read.ended = true;
          break;
        }
        chunk[count] = result.value;
      }
    } catch (error) {
      read.thrown = { error };
    }
    read.count = count;
  }

  protected override closed(): void {
    try {
      this.#iterator.return?.();
    } catch (error) {
      // A generator's finally that throws: the consumer must see it, as native for...of would.
      this.run.cleanupFailed(error);
    }
  }
}
