import { ChunkChannel, type ShedStrategy } from "../channel/chunk-channel.js";
import { SourceError } from "../errors/source-error.js";
import type { RunControl } from "../contract/run-control.js";
import { OutputStaging } from "../stage/output-staging.js";
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
  #staging: OutputStaging<T>;
  #pulled = 0;
  #stopped = false;
  /** Stopped by `run.finish()`: what was read still goes to the first stage. */
  #finishing = false;
  #finished = false;
  /** A `next()` of the iterator is pending. */
  #reading = false;
  #grace: NodeJS.Immediate | undefined;
  #resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });

  /** `destroy` ends the underlying stream (a `Readable`) when the run stops. */
  constructor(iterator: AsyncIterator<T>, capacity: number, run: RunControl, destroy?: () => void) {
    this.#iterator = iterator;
    this.#channel = new ChunkChannel<T>(capacity);
    this.#chunk = capacity;
    this.#staging = new OutputStaging(this.#channel, capacity);
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
    void this.#pump().finally(this.#settle);
  }

  stampArrivals(): void {
    this.#channel.stampArrivals();
  }

  get arrival(): number {
    return this.#channel.arrival;
  }

  takeChunk(): T[] | undefined {
    return this.#channel.takeChunk();
  }

  shedWhenFull(strategy: ShedStrategy, onShed: (item: T) => void): void {
    this.#channel.shedWhenFull(strategy, onShed);
    // Chunks of half the channel: the stage holds the chunk it took until it has started
    // every item of it, and a whole-channel chunk would leave only arriving items to drop.
    this.#staging = new OutputStaging(this.#channel, Math.max(1, this.#chunk >> 1));
  }

  get shed(): number {
    return this.#channel.shed;
  }

  get depth(): number {
    return this.#channel.depth;
  }

  get capacity(): number {
    return this.#channel.capacity;
  }

  release(n: number): void {
    this.#channel.release(n);
  }

  onData(callback: () => void): void {
    this.#channel.onData(callback);
  }

  discard(): number {
    return this.#staging.drop() + this.#channel.discard();
  }

  stop(finish = false): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (finish) {
      // What was read goes on: the staged items now, a read under way once it is in (the
      // pump closes the channel then).
      this.#finishing = true;
      this.#staging.flush();
      if (!this.#reading) this.#channel.close();
    } else {
      this.#staging.cancelTurn();
      this.#channel.close();
    }
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
    // An iterator stuck in a next() that ignores the run's signal would hold the run forever:
    // it gets one turn to settle, then the source counts as done without it.
    if (this.#reading) this.#grace = setImmediate(this.#settle);
  }

  readonly #settle = (): void => {
    if (this.#grace !== undefined) clearImmediate(this.#grace);
    this.#grace = undefined;
    this.#resolveDone();
  };

  async #pump(): Promise<void> {
    const iterator = this.#iterator;
    try {
      while (!this.#stopped) {
        if (this.#staging.values.length + this.#channel.size >= this.#chunk) {
          this.#staging.flush();
          await new Promise<void>((resolve) => this.#channel.onSpace(resolve));
          continue;
        }
        this.#reading = true;
        const result = await iterator.next();
        this.#reading = false;
        if (result.done) {
          this.#finished = true;
          break;
        }
        this.#pulled++;
        if (this.#stopped) {
          this.#staging.values.push(result.value);
          break;
        }
        this.#staging.push(result.value);
      }
    } catch (error) {
      this.#reading = false;
      this.#finished = true;
      if (!this.#stopped) await this.#failAfterRead(new SourceError(error, this.#pulled));
    }
    if (!this.#stopped || this.#finishing) {
      this.#staging.flush();
      this.#channel.close();
    }
    this.#staging.cancelTurn();
    await this.#closing;
  }

  /**
   * The items read before the throw enter the stage first, as a native loop would see them:
   * the run fails once the stage has taken them all (a take that has enough stops it sooner).
   */
  async #failAfterRead(failure: SourceError): Promise<void> {
    this.#staging.flush();
    while (this.#channel.size > 0 && !this.#stopped) {
      await new Promise<void>((resolve) => this.#channel.onSpace(resolve));
    }
    if (!this.#stopped) this.#run.fail(failure);
  }

  #closing: Promise<unknown> | undefined;

  #closeIterator(): void {
    this.#finished = true;
    // A generator's finally that throws: the consumer must see it, as native for await would.
    const failed = (error: unknown): void => this.#run.cleanupFailed(error);
    try {
      this.#closing = Promise.resolve(this.#iterator.return?.()).catch(failed);
    } catch (error) {
      failed(error);
      this.#closing = undefined;
    }
  }
}
