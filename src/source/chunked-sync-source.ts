import { SourceError } from "../errors/source-error.js";
import type { RunControl } from "../contract/run-control.js";
import type { SourceInput } from "./source-input.js";

/** What {@link ChunkedSyncSource.read} found: the items read, and a throw that stopped it. */
export interface ChunkRead {
  /** Items read into the chunk. */
  count: number;
  /** Whether the source has no more items. */
  ended: boolean;
  /** What reading the next item threw, if it did. */
  thrown: { error: unknown } | undefined;
}

/**
 * A sync source read in chunks, on demand, on the calling stage: no promise and no copy
 * between the source and the first stage, at most one chunk read ahead. The subclass reads
 * items; this class keeps the count, the end, and a throw's place: the items read before a
 * throw enter the stage first, as a native loop would see them, and the run fails when the
 * stage asks for more (a take that has enough never does).
 */
export abstract class ChunkedSyncSource<T> implements SourceInput<T> {
  readonly done: Promise<void> = Promise.resolve();
  #pulled = 0;
  #finished = false;
  /** A throw that ended the last chunk, raised on the next read. */
  #failure: SourceError | undefined;
  readonly #chunk: number;
  protected readonly run: RunControl;
  /** Reused for every read: one object, not one per chunk. */
  readonly #read: ChunkRead = { count: 0, ended: false, thrown: undefined };

  constructor(chunk: number, run: RunControl) {
    this.#chunk = chunk;
    this.run = run;
  }

  /**
   * Reads up to `size` items into `chunk` from index 0, and says how many in `read.count`;
   * sets `read.ended` at the end of the source, and `read.thrown` (stopping there) when
   * reading an item throws. Its loop is the per-item path: keep it plain.
   */
  protected abstract read(chunk: T[], size: number, read: ChunkRead): void;

  get pulled(): number {
    return this.#pulled;
  }

  get ready(): boolean {
    return !this.#finished;
  }

  get drained(): boolean {
    return this.#finished;
  }

  start(): void {}

  takeChunk(): T[] | undefined {
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#failure = undefined;
      this.#finished = true;
      this.run.fail(failure);
      return undefined;
    }
    if (this.#finished) return undefined;
    const size = this.#chunk;
    // Sized once: growing from empty by push copied the backing store four times per chunk.
    const chunk = new Array<T>(size);
    const read = this.#read;
    read.count = 0;
    read.ended = false;
    read.thrown = undefined;
    this.read(chunk, size, read);
    const count = read.count;
    // Set by `read`: what the assignments above narrowed it to no longer holds.
    const thrown = read.thrown as ChunkRead["thrown"];
    if (count < size) chunk.length = count;
    this.#pulled += count;
    if (thrown !== undefined) {
      const failure = new SourceError(thrown.error, this.#pulled);
      if (count === 0) {
        this.#finished = true;
        this.run.fail(failure);
        return undefined;
      }
      this.#failure = failure;
      return chunk;
    }
    if (read.ended) this.#finished = true;
    return count > 0 ? chunk : undefined;
  }

  release(): void {}

  onData(callback: () => void): void {
    // Never needed (a sync source has a chunk or has ended), but keep the contract.
    queueMicrotask(callback);
  }

  discard(): number {
    return 0;
  }

  /** Nothing is read ahead of the stage, so finishing is stopping. */
  stop(): void {
    this.#failure = undefined;
    if (this.#finished) return;
    this.#finished = true;
    this.closed();
  }

  /** Called once when the source is stopped before its end (an iterator's `return()`). */
  protected closed(): void {}
}
