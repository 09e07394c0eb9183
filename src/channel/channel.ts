import { ChannelClosedError } from "../errors/channel-closed-error.js";
import { checkOptionsObject, integerOption, signalOption } from "../internal/validate.js";
import { ChunkQueue } from "./chunk-queue.js";

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
  readonly #queue = new ChunkQueue<T>();
  readonly #lowWater: number;
  #count = 0;
  #closed = false;
  #aborted = false;
  #abortReason: unknown;
  #dataWaiters: (() => void)[] = [];
  #spaceWaiters: (() => void)[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
    // Producers are woken once half the channel is free, not on every released item,
    // so a full pipeline pays one wake-up per half channel rather than one per item.
    this.#lowWater = Math.max(0, Math.floor(capacity / 2));
  }

  /** Items held now (queued plus taken by a stage and not yet released). */
  get size(): number {
    return this.#count;
  }

  /** Whether {@link Channel.close} or {@link Channel.abort} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether {@link Channel.abort} was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Whether an item is queued now. */
  get ready(): boolean {
    return !this.#queue.empty;
  }

  /** Whether the channel is closed and every item has been received. */
  get drained(): boolean {
    return this.#closed && this.#queue.empty;
  }

  /**
   * Adds one item if there is room. Returns `false`, changing nothing, when the channel is
   * full. Throws {@link ChannelClosedError} when the channel is closed.
   */
  trySend(item: T): boolean {
    this.#assertOpen("send", 1);
    if (this.#count >= this.capacity || this.#spaceWaiters.length > 0) return false;
    this.pushChunk([item]);
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
    let offset = 0;
    while (offset < all.length) {
      this.#assertOpen("send", all.length - offset);
      signal?.throwIfAborted();
      const room = this.capacity - this.#count;
      if (room > 0 && this.#spaceWaiters.length === 0) {
        const end = Math.min(all.length, offset + room);
        this.pushChunk(offset === 0 && end === all.length ? all.slice() : all.slice(offset, end));
        offset = end;
        continue;
      }
      await this.#wait(this.#spaceWaiters, signal);
    }
  }

  /**
   * Takes one item if one is queued: `{ done: false, value }`. Answers `{ done: true }` when
   * the channel is closed and empty, and `undefined` when it is open and empty.
   */
  tryReceive(): IteratorResult<T, undefined> | undefined {
    if (this.#aborted) throw this.#abortReason;
    if (this.#queue.empty) return this.#closed ? done : undefined;
    const value = this.#queue.shiftItem();
    this.release(1);
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
      await this.#wait(this.#dataWaiters, signal);
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
    for (;;) {
      if (this.#aborted) throw this.#abortReason;
      const chunk = this.#queue.shiftChunk(max);
      if (chunk !== undefined) {
        this.release(chunk.length);
        return chunk;
      }
      if (this.#closed) return undefined;
      await this.#wait(this.#dataWaiters, signal);
    }
  }

  /**
   * Marks the end of input: later sends throw, receivers drain what is queued and then see
   * the end. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    wakeAll(this.#dataWaiters);
    wakeAll(this.#spaceWaiters);
  }

  /**
   * Closes the channel and drops what it holds: pending and later calls reject with
   * `reason`. Returns how many queued items were dropped. Idempotent.
   */
  abort(reason?: unknown): number {
    if (this.#aborted) return 0;
    this.#aborted = true;
    this.#abortReason = reason ?? new DOMException("The channel was aborted", "AbortError");
    this.#closed = true;
    const dropped = this.#queue.clear();
    this.#count = 0;
    wakeAll(this.#dataWaiters);
    wakeAll(this.#spaceWaiters);
    return dropped;
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

  /** @internal Appends a chunk the caller has made room for; the channel owns it now. */
  pushChunk(chunk: T[]): void {
    this.#queue.push(chunk);
    this.#count += chunk.length;
    if (this.#dataWaiters.length > 0) wakeAll(this.#dataWaiters);
  }

  /** @internal Takes the head chunk; its items stay counted until {@link Channel.release}. */
  takeChunk(): T[] | undefined {
    return this.#queue.shiftChunk();
  }

  /** @internal Frees room for `n` items taken with {@link Channel.takeChunk}. */
  release(n: number): void {
    if (this.#aborted) return;
    this.#count -= n;
    if (this.#spaceWaiters.length > 0 && this.#count <= this.#lowWater) wakeAll(this.#spaceWaiters);
  }

  /**
   * @internal Calls `callback` once, synchronously, when a chunk arrives or the channel
   * closes. A plain callback rather than a promise: a stage hands work on in one hop.
   */
  onData(callback: () => void): void {
    this.#dataWaiters.push(callback);
  }

  /** @internal Calls `callback` once when half the channel is free or it closes. */
  onSpace(callback: () => void): void {
    this.#spaceWaiters.push(callback);
  }

  /** @internal Number of queued items dropped as leftovers when a run stops. */
  discard(): number {
    const dropped = this.#queue.clear();
    this.#count = 0;
    return dropped;
  }

  #assertOpen(operation: string, unsent: number): void {
    if (this.#aborted) throw this.#abortReason;
    if (this.#closed) throw new ChannelClosedError(operation, unsent);
  }

  async #wait(waiters: (() => void)[], signal: AbortSignal | undefined): Promise<void> {
    if (signal === undefined) {
      await new Promise<void>((resolve) => waiters.push(resolve));
      return;
    }
    signal.throwIfAborted();
    let wake!: () => void;
    const waiting = new Promise<void>((resolve) => {
      wake = resolve;
      waiters.push(resolve);
    });
    const onAbort = (): void => {
      const at = waiters.indexOf(wake);
      if (at >= 0) waiters.splice(at, 1);
      wake();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await waiting;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    signal.throwIfAborted();
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

/** Calls every waiter once; waiters added while waking wait for the next event. */
function wakeAll(waiters: (() => void)[]): void {
  const count = waiters.length;
  if (count === 1) {
    const wake = waiters.pop()!;
    wake();
    return;
  }
  const woken = waiters.splice(0, count);
  for (const wake of woken) wake();
}
