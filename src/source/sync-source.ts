import { SourceError } from "../errors/source-error.js";
import type { RunControl } from "../contract/run-control.js";
import type { SourceInput } from "./source-input.js";

/**
 * Reads a sync iterator in chunks, on demand, on the calling worker: no promise and no
 * copy between the source and the first stage. Looks ahead at most one chunk.
 */
export class SyncSource<T> implements SourceInput<T> {
  readonly done: Promise<void> = Promise.resolve();
  #pulled = 0;
  #finished = false;
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
    if (this.#finished) return undefined;
    const iterator = this.#iterator;
    const chunk: T[] = [];
    try {
      for (let i = 0; i < this.#chunk; i++) {
        const result = iterator.next();
        if (result.done) {
          this.#finished = true;
          break;
        }
        chunk.push(result.value);
      }
    } catch (error) {
      this.#finished = true;
      this.#pulled += chunk.length;
      // The items pulled before the throw still enter the stage; the run fails after them.
      this.#run.fail(new SourceError(error, this.#pulled));
      return chunk.length > 0 ? chunk : undefined;
    }
    this.#pulled += chunk.length;
    return chunk.length > 0 ? chunk : undefined;
  }

  release(): void {}

  onData(callback: () => void): void {
    // Never needed (a sync source has a chunk or has ended), but keep the contract.
    queueMicrotask(callback);
  }

  discard(): number {
    return 0;
  }

  stop(): void {
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
