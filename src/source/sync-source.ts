import { SourceError } from "../errors/source-error.js";
import type { RunControl } from "../contract/run-control.js";
import type { SourceInput } from "./source-input.js";

/**
 * Reads a sync iterator in chunks, on demand, on the calling stage: no promise and no
 * copy between the source and the first stage. Looks ahead at most one chunk.
 */
export class SyncSource<T> implements SourceInput<T> {
  readonly done: Promise<void> = Promise.resolve();
  #pulled = 0;
  #finished = false;
  /** A throw that ended the last chunk, raised on the next read. */
  #failure: SourceError | undefined;
  readonly #iterator: Iterator<T>;
  readonly #chunk: number;
  readonly #run: RunControl;

  constructor(iterator: Iterator<T>, chunk: number, run: RunControl) {
    this.#iterator = iterator;
    this.#chunk = chunk;
    this.#run = run;
  }

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
      // The items read before the throw went first; the stage asks for more: now it fails.
      const failure = this.#failure;
      this.#failure = undefined;
      this.#finished = true;
      this.#run.fail(failure);
      return undefined;
    }
    if (this.#finished) return undefined;
    const iterator = this.#iterator;
    const size = this.#chunk;
    // Sized once: growing from empty by push copied the backing store four times per chunk.
    const chunk = new Array<T>(size);
    let count = 0;
    try {
      for (; count < size; count++) {
        const result = iterator.next();
        if (result.done) {
          this.#finished = true;
          break;
        }
        chunk[count] = result.value;
      }
    } catch (error) {
      chunk.length = count;
      this.#pulled += chunk.length;
      const failure = new SourceError(error, this.#pulled);
      if (chunk.length === 0) {
        this.#finished = true;
        this.#run.fail(failure);
        return undefined;
      }
      // The items read before the throw enter the stage first, as a native loop would see
      // them; the run fails when the stage asks for more (a take that has enough never does).
      this.#failure = failure;
      return chunk;
    }
    if (count < size) chunk.length = count;
    this.#pulled += count;
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
    try {
      this.#iterator.return?.();
    } catch (error) {
      // A generator's finally that throws: the consumer must see it, as native for...of would.
      this.#run.cleanupFailed(error);
    }
  }
}
