import { ChunkQueue } from "./chunk-queue.js";

/**
 * Chunks per arrival stamp when a channel stamps arrivals (metrics on); an input read on
 * demand reads the clock as often, per refill.
 */
export const STAMP_EVERY = 16;

/** Which items a full channel drops when it sheds load (a stage's `shed` option). */
export type ShedStrategy = "newest" | "oldest" | "random";

/**
 * The bounded chunked FIFO under every stage boundary and under the public {@link Channel}:
 * producers hand over arrays, consumers take arrays, and items stay counted against the
 * capacity until released, so a stage's bound covers what it took but has not started.
 * Internal: its chunk operations are not part of the public API.
 */
export class ChunkChannel<T> {
  readonly capacity: number;
  readonly #queue = new ChunkQueue<T>();
  readonly #lowWater: number;
  #count = 0;
  #closed = false;
  #aborted = false;
  #abortReason: unknown;
  #dataWaiters: (() => void)[] = [];
  #spaceWaiters: (() => void)[] = [];
  #shedding: ShedStrategy | undefined;
  #onShed: (item: T) => void = () => {};
  /** Items dropped by shedding. */
  shed = 0;
  /**
   * Chunks to go before the next one is stamped with its arrival time, once
   * {@link stampArrivals} was called (metrics on); 0 while it was not.
   */
  #stampCountdown = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    // Producers are woken once half the channel is free, not on every released item,
    // so a full pipeline pays one wake-up per half channel rather than one per item.
    this.#lowWater = Math.max(0, Math.floor(capacity / 2));
  }

  /** Items held now, queued plus taken and not yet released, shedding or not. */
  get depth(): number {
    return this.#count;
  }

  /**
   * Items held now (queued plus taken and not yet released), as producers size their room by
   * it. A shedding channel reports 0: it never holds its producer back, it drops instead.
   */
  get size(): number {
    return this.#shedding === undefined ? this.#count : 0;
  }

  /**
   * Makes the channel drop items instead of filling up: when a chunk arrives at a full channel,
   * `strategy` picks the items to drop (the arriving ones, the oldest queued, or any at random)
   * and `onShed` hears of each one.
   */
  shedWhenFull(strategy: ShedStrategy, onShed: (item: T) => void): void {
    this.#shedding = strategy;
    this.#onShed = onShed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get abortReason(): unknown {
    return this.#abortReason;
  }

  /** Whether a chunk is queued now. */
  get ready(): boolean {
    return !this.#queue.empty;
  }

  /** Whether the channel is closed and every chunk has been taken. */
  get drained(): boolean {
    return this.#closed && this.#queue.empty;
  }

  /** Whether a producer must wait: full, or earlier producers are already waiting. */
  get blocked(): boolean {
    if (this.#shedding !== undefined) return false;
    return this.#count >= this.capacity || this.#spaceWaiters.length > 0;
  }

  /** Appends a chunk the caller has made room for; the channel owns it now. */
  pushChunk(chunk: T[]): void {
    if (this.#shedding !== undefined && this.#count + chunk.length > this.capacity) {
      chunk = this.#shedFor(chunk);
      if (chunk.length === 0) return;
    }
    let arrivedAt = 0;
    if (this.#stampCountdown !== 0 && --this.#stampCountdown === 0) {
      this.#stampCountdown = STAMP_EVERY;
      arrivedAt = performance.now();
    }
    this.#queue.push(chunk, arrivedAt);
    this.#count += chunk.length;
    if (this.#dataWaiters.length > 0) wakeAll(this.#dataWaiters);
  }

  /**
   * Drops what does not fit of `chunk` plus the queue, by the strategy; returns what of the
   * chunk is kept. Items taken but not released still count: they cannot be dropped.
   */
  #shedFor(chunk: T[]): T[] {
    let excess = this.#count + chunk.length - this.capacity;
    const queue = this.#queue;
    const drop = this.#onShed;
    if (this.#shedding === "oldest") {
      while (excess > 0 && !queue.empty) {
        const item = queue.shiftItem();
        this.#count--;
        excess--;
        this.shed++;
        drop(item);
      }
      if (excess === 0) return chunk;
      const dropped = chunk.slice(0, excess);
      chunk = chunk.slice(excess);
      this.shed += dropped.length;
      for (const item of dropped) drop(item);
      return chunk;
    }
    if (this.#shedding === "newest") {
      const keep = Math.max(0, chunk.length - excess);
      const dropped = chunk.slice(keep);
      chunk.length = keep;
      this.shed += dropped.length;
      for (const item of dropped) drop(item);
      return chunk;
    }
    // random: each dropped item is drawn from everything queued and arriving.
    chunk = chunk.slice();
    while (excess > 0) {
      const queued = queue.size;
      const pick = Math.floor(Math.random() * (queued + chunk.length));
      let item: T;
      if (pick < queued) {
        item = queue.removeAt(pick);
        this.#count--;
      } else {
        item = chunk.splice(pick - queued, 1)[0]!;
      }
      excess--;
      this.shed++;
      drop(item);
    }
    return chunk;
  }

  /**
   * Notes when chunks arrive from now on, for {@link arrival}: one chunk in
   * {@link STAMP_EVERY}, the first one included (a clock read costs ~60 ns in a loop and
   * several times that when sparse, on the VMs measured; a chunk may hold only a few items).
   */
  stampArrivals(): void {
    if (this.#stampCountdown !== 0) return;
    this.#queue.stampArrivals();
    this.#stampCountdown = 1;
  }

  /** When the chunk the last {@link takeChunk} took from arrived; 0 when it was not stamped. */
  get arrival(): number {
    return this.#queue.arrival;
  }

  /** Takes the head chunk (at most `max` items); its items stay counted until {@link release}. */
  takeChunk(max?: number): T[] | undefined {
    return this.#queue.shiftChunk(max);
  }

  /** Takes the head item; it stays counted until {@link release}. The caller checked `ready`. */
  takeItem(): T {
    return this.#queue.shiftItem();
  }

  /** Frees room for `n` taken items. */
  release(n: number): void {
    if (this.#aborted) return;
    this.#count -= n;
    if (this.#spaceWaiters.length > 0 && this.#count <= this.#lowWater) wakeAll(this.#spaceWaiters);
  }

  /**
   * Calls `callback` once, synchronously, when a chunk arrives or the channel closes. A plain
   * callback rather than a promise: a stage hands work on in one hop.
   */
  onData(callback: () => void): void {
    this.#dataWaiters.push(callback);
  }

  /** Calls `callback` once when half the channel is free or it closes. */
  onSpace(callback: () => void): void {
    this.#spaceWaiters.push(callback);
  }

  /** Drops what is queued as leftovers when a run stops; returns how many items. */
  discard(): number {
    const dropped = this.#queue.clear();
    this.#count = 0;
    return dropped;
  }

  /** Marks the end of input; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    wakeAll(this.#dataWaiters);
    wakeAll(this.#spaceWaiters);
  }

  /** Closes and drops what is queued; pending and later calls see `reason`. Returns how many. */
  abort(reason: unknown): number {
    if (this.#aborted) return 0;
    this.#aborted = true;
    this.#abortReason = reason;
    this.#closed = true;
    const dropped = this.#queue.clear();
    this.#count = 0;
    wakeAll(this.#dataWaiters);
    wakeAll(this.#spaceWaiters);
    return dropped;
  }

  /** Waits for data (or the end), or for room; rejects with the signal's reason on abort. */
  waitData(signal: AbortSignal | undefined): Promise<void> {
    return waitOn(this.#dataWaiters, signal);
  }

  waitSpace(signal: AbortSignal | undefined): Promise<void> {
    return waitOn(this.#spaceWaiters, signal);
  }
}

async function waitOn(waiters: (() => void)[], signal: AbortSignal | undefined): Promise<void> {
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
