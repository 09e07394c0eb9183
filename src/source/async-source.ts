import { ChunkChannel } from "../channel/chunk-channel.js";
import { SourceError } from "../errors/source-error.js";
import type { RunControl } from "../pipeline/run-control.js";
import type { SourceInput } from "./source-input.js";

/**
 * Pumps an async iterator into a bounded channel, gathering items into chunks: a chunk is
 * handed over when full, or on the next turn of the event loop (one `setImmediate` per
 * chunk, never per item), so a fast source moves in chunks and a slow one is not held back.
 */
export class AsyncSource<T> implements SourceInput<T> {
  readonly #iterator: AsyncIterator<T>;
  readonly #channel: ChunkChannel<T>;
  readonly #chunk: number;
  readonly #run: RunControl;
  readonly #destroy: (() => void) | undefined;
  #staged: T[] = [];
  #immediate: NodeJS.Immediate | undefined;
  #pulled = 0;
  #stopped = false;
  #finished = false;
  #resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });

  /** `destroy` ends the underlying stream (a `Readable`) when the run stops. */
  constructor(iterator: AsyncIterator<T>, capacity: number, run: RunControl, destroy?: () => void) {
    this.#iterator = iterator;
    this.#channel = new ChunkChannel<T>(capacity);
    this.#chunk = capacity;
    this.#run = run;
    this.#destroy = destroy;
  }

  get pulled(): number {
    return this.#pulled;
  }

  get ready(): boolean {
    return this.#channel.ready;
  }

  get drained(): boolean {
    return this.#channel.drained;
  }

  start(): void {
    void this.#pump().finally(this.#resolveDone);
  }

  takeChunk(): T[] | undefined {
    return this.#channel.takeChunk();
  }

  release(n: number): void {
    this.#channel.release(n);
  }

  onData(callback: () => void): void {
    this.#channel.onData(callback);
  }

  discard(): number {
    const staged = this.#staged.length;
    this.#staged = [];
    return staged + this.#channel.discard();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#cancelFlush();
    this.#channel.close();
    // Close the iterator now even if a next() is pending: an async generator runs its
    // finally blocks once the pending step settles. A Readable's iterator is such a
    // generator, waiting for 'readable' when the stream is idle, so its return() alone
    // would wait forever: destroying the stream ends the pending step at once.
    if (!this.#finished) {
      this.#closeIterator();
      try {
        this.#destroy?.();
      } catch {
        // The run is already stopping for another reason; that reason is what it reports.
      }
    }
  }

  async #pump(): Promise<void> {
    const iterator = this.#iterator;
    try {
      while (!this.#stopped) {
        if (this.#staged.length + this.#channel.size >= this.#chunk) {
          this.#flush();
          await new Promise<void>((resolve) => this.#channel.onSpace(resolve));
          continue;
        }
        const result = await iterator.next();
        if (result.done) {
          this.#finished = true;
          break;
        }
        this.#pulled++;
        if (this.#stopped) {
          this.#staged.push(result.value);
          break;
        }
        this.#staged.push(result.value);
        if (this.#staged.length >= this.#chunk) this.#flush();
        else this.#immediate ??= setImmediate(this.#flushOnTurn);
      }
    } catch (error) {
      this.#finished = true;
      if (!this.#stopped) this.#run.fail(new SourceError(error, this.#pulled));
    }
    if (!this.#stopped) {
      this.#flush();
      this.#channel.close();
    }
    await this.#closing;
  }

  #closing: Promise<unknown> | undefined;

  #closeIterator(): void {
    this.#finished = true;
    try {
      this.#closing = Promise.resolve(this.#iterator.return?.()).catch(() => undefined);
    } catch {
      this.#closing = undefined;
    }
  }

  readonly #flushOnTurn = (): void => {
    this.#immediate = undefined;
    this.#flush();
  };

  #flush(): void {
    this.#cancelFlush();
    if (this.#staged.length === 0 || this.#stopped) return;
    const chunk = this.#staged;
    this.#staged = [];
    this.#channel.pushChunk(chunk);
  }

  #cancelFlush(): void {
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
  }
}
