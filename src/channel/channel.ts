import { ChannelClosedError } from "../errors/channel-closed-error.js";
import { checkOptionsObject, integerOption, signalOption } from "../internal/validate.js";
import { ChunkChannel } from "./chunk-channel.js";

/** Options for {@link channel}. */
export interface ChannelOptions {
  /** Most items the channel holds (queued plus taken by a stage and not yet released). Integer >= 1. Default 1024. */
  readonly capacity?: number;
}

/** Options for a blocking channel call. */
export interface ChannelWaitOptions {
  /** Stops waiting when aborted: the call rejects with the signal's reason and adds or removes nothing. */
  readonly signal?: AbortSignal;
}

const DEFAULT_CAPACITY = 1024;
const done: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A bounded FIFO that moves items in chunks (arrays): a producer hands over an array, a
 * consumer takes one, so crossing the channel costs one operation per chunk, not per item.
 * Many producers and many consumers may share it; waiters are woken in FIFO order.
 *
 * Blocking calls come in pairs with non-blocking ones: {@link Channel.send} /
 * {@link Channel.trySend}, {@link Channel.receive} / {@link Channel.tryReceive}. Memory is
 * bounded by `capacity` items; a full channel makes `send` wait, `trySend` answer `false`.
 */
export class Channel<T> implements AsyncIterable<T> {
  /** Most items the channel holds. */
  readonly capacity: number;
  readonly #inner: ChunkChannel<T>;

  /** @internal Use {@link channel}. */
  constructor(capacity: number) {
    this.capacity = capacity;
    this.#inner = new ChunkChannel<T>(capacity);
  }

  /** Items held now. */
  get size(): number {
    return this.#inner.size;
  }

  /** Whether {@link Channel.close} or {@link Channel.abort} was called. */
  get closed(): boolean {
    return this.#inner.closed;
  }

  /** Whether {@link Channel.abort} was called. */
  get aborted(): boolean {
    return this.#inner.aborted;
  }

  /** Whether an item is queued now. */
  get ready(): boolean {
    return this.#inner.ready;
  }

  /** Whether the channel is closed and every item has been received. */
  get drained(): boolean {
    return this.#inner.drained;
  }

  /**
   * Adds one item if there is room. Returns `false`, changing nothing, when the channel is
   * full. Throws {@link ChannelClosedError} when the channel is closed.
   */
  trySend(item: T): boolean {
    this.#assertOpen("send", 1);
    if (this.#inner.blocked) return false;
    this.#inner.pushChunk([item]);
    return true;
  }

  /**
   * Adds one item, waiting while the channel is full. Rejects with
   * {@link ChannelClosedError} if the channel is or becomes closed before there is room,
   * or with the abort reason; in both cases the item was not added.
   */
  async send(item: T, options?: ChannelWaitOptions): Promise<void> {
    await this.#send([item], signalOption("send.signal", options?.signal));
  }

  /**
   * Adds many items in order, as chunks that fit the free room, waiting for room as needed.
   * On rejection (closed, aborted), the items before the failure point were added and the
   * rest were not; the error message counts the ones not sent.
   */
  async sendMany(items: Iterable<T>, options?: ChannelWaitOptions): Promise<void> {
    const signal = signalOption("sendMany.signal", options?.signal);
    await this.#send(Array.isArray(items) ? (items as T[]) : Array.from(items), signal);
  }

  async #send(all: T[], signal: AbortSignal | undefined): Promise<void> {
    const inner = this.#inner;
    let offset = 0;
    while (offset < all.length) {
      this.#assertOpen("send", all.length - offset);
      signal?.throwIfAborted();
      const room = this.capacity - inner.size;
      if (room > 0 && !inner.blocked) {
        const end = Math.min(all.length, offset + room);
        inner.pushChunk(offset === 0 && end === all.length ? all.slice() : all.slice(offset, end));
        offset = end;
        continue;
      }
      await inner.waitSpace(signal);
    }
  }

  /**
   * Takes one item if one is queued: `{ done: false, value }`. Answers `{ done: true }` when
   * the channel is closed and empty, and `undefined` when it is open and empty.
   */
  tryReceive(): IteratorResult<T, undefined> | undefined {
    const inner = this.#inner;
    if (inner.aborted) throw inner.abortReason;
    if (!inner.ready) return inner.closed ? done : undefined;
    const value = inner.takeItem();
    inner.release(1);
    return { done: false, value };
  }

  /**
   * Takes one item, waiting while the channel is empty and open. Resolves `{ done: true }`
   * once the channel is closed and drained; rejects with the abort reason after
   * {@link Channel.abort} or when `signal` aborts (nothing is taken then).
   */
  async receive(options?: ChannelWaitOptions): Promise<IteratorResult<T, undefined>> {
    const signal = signalOption("receive.signal", options?.signal);
    for (;;) {
      const result = this.tryReceive();
      if (result !== undefined) return result;
      await this.#inner.waitData(signal);
    }
  }

  /**
   * Takes up to `max` queued items at once (at least one), waiting while the channel is
   * empty and open. Resolves `undefined` once the channel is closed and drained.
   *
   * @throws {InvalidOptionError} (a `TypeError`) when `max` is not an integer >= 1 (or `Infinity`).
   */
  async receiveMany(
    max = Number.POSITIVE_INFINITY,
    options?: ChannelWaitOptions,
  ): Promise<T[] | undefined> {
    const signal = signalOption("receiveMany.signal", options?.signal);
    // A fractional max would leave the queue's read offset between two items.
    if (max !== Number.POSITIVE_INFINITY) integerOption("receiveMany.max", max, 1, 1);
    const inner = this.#inner;
    for (;;) {
      if (inner.aborted) throw inner.abortReason;
      const chunk = inner.takeChunk(max);
      if (chunk !== undefined) {
        inner.release(chunk.length);
        return chunk;
      }
      if (inner.closed) return undefined;
      await inner.waitData(signal);
    }
  }

  /**
   * Marks the end of input: later sends throw, receivers drain what is queued and then see
   * the end. Idempotent.
   */
  close(): void {
    this.#inner.close();
  }

  /**
   * Closes the channel and drops what it holds: pending and later calls reject with
   * `reason`. Returns how many queued items were dropped. Idempotent.
   */
  abort(reason?: unknown): number {
    return this.#inner.abort(reason ?? new DOMException("The channel was aborted", "AbortError"));
  }

  /**
   * Receives until the channel is closed and drained. Breaking out (`return()`) leaves the
   * channel open with every item not yet yielded still queued, and ends a `next()` that is
   * waiting for data at once (it resolves `{ done: true }`, taking nothing).
   */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    // Not an async generator: taking a chunk and yielding from it would lose the rest of the
    // chunk on break, and a generator's return() waits behind a pending next(), so a reader
    // (such as a pipeline's source) could never close an idle channel's iterator.
    const stop = new AbortController();
    return {
      next: async () => {
        if (stop.signal.aborted) return done;
        const ready = this.tryReceive();
        if (ready !== undefined) return ready;
        try {
          return await this.receive({ signal: stop.signal });
        } catch (error) {
          if (stop.signal.aborted) return done;
          throw error;
        }
      },
      return: async () => {
        stop.abort();
        return done;
      },
    };
  }

  #assertOpen(operation: string, unsent: number): void {
    const inner = this.#inner;
    if (inner.aborted) throw inner.abortReason;
    if (inner.closed) throw new ChannelClosedError(operation, unsent);
  }
}

/**
 * Makes a bounded chunked {@link Channel}. Use it to feed a pipeline from code that pushes
 * (`from(ch)`), or between your own producers and consumers.
 */
export function channel<T>(options?: ChannelOptions): Channel<T> {
  const checked = checkOptionsObject("channel", options, ["capacity"]);
  return new Channel<T>(integerOption("channel.capacity", checked.capacity, DEFAULT_CAPACITY, 1));
}
