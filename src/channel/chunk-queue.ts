/**
 * A FIFO of chunks (arrays) with a read offset into the head chunk, kept in a ring that
 * doubles when full. Chunks are stored as handed over, never copied, so moving N items costs
 * one push and one shift, and a steady flow allocates nothing.
 */
export class ChunkQueue<T> {
  #ring: (T[] | undefined)[] = new Array<T[] | undefined>(8).fill(undefined);
  #head = 0;
  #length = 0;
  #offset = 0;
  /** Items queued (taken ones excluded). */
  #items = 0;
  /** Arrival times beside `#ring` (0: not stamped), once {@link stampArrivals} was called. */
  #stamps: number[] | undefined = undefined;
  /** When the chunk the last {@link shiftChunk} took from arrived; 0 when not stamped. */
  arrival = 0;

  /** Keeps an arrival time beside each chunk from now on (see {@link push}). */
  stampArrivals(): void {
    this.#stamps ??= new Array<number>(this.#ring.length).fill(0);
  }

  /** Items queued now. */
  get size(): number {
    return this.#items;
  }

  /** Whether no chunk is queued. */
  get empty(): boolean {
    return this.#length === 0;
  }

  /**
   * Appends a non-empty chunk; the queue owns it from now on. `arrivedAt` is kept beside it
   * when the queue stamps arrivals.
   */
  push(chunk: T[], arrivedAt = 0): void {
    if (this.#length === this.#ring.length) this.#grow();
    const at = (this.#head + this.#length) & (this.#ring.length - 1);
    this.#ring[at] = chunk;
    if (this.#stamps !== undefined) this.#stamps[at] = arrivedAt;
    this.#length++;
    this.#items += chunk.length;
  }

  /** Removes and returns the rest of the head chunk (at most `max` items), or `undefined`. */
  shiftChunk(max = Number.POSITIVE_INFINITY): T[] | undefined {
    if (this.#length === 0) return undefined;
    const chunk = this.#ring[this.#head]!;
    if (this.#stamps !== undefined) this.arrival = this.#stamps[this.#head]!;
    const remaining = chunk.length - this.#offset;
    if (this.#offset === 0 && remaining <= max) {
      this.#items -= remaining;
      this.#dropHead();
      return chunk;
    }
    const take = Math.min(remaining, max);
    this.#items -= take;
    const part = chunk.slice(this.#offset, this.#offset + take);
    this.#offset += take;
    if (this.#offset === chunk.length) this.#dropHead();
    return part;
  }

  /** Removes and returns one item; the caller checks `empty` first. */
  shiftItem(): T {
    const chunk = this.#ring[this.#head]!;
    const item = chunk[this.#offset]!;
    chunk[this.#offset] = undefined as T;
    this.#offset++;
    this.#items--;
    if (this.#offset === chunk.length) this.#dropHead();
    return item;
  }

  /** Removes and returns the item `position` places from the head (`position < size`). */
  removeAt(position: number): T {
    let at = position + this.#offset;
    for (let i = 0; i < this.#length; i++) {
      const slot = (this.#head + i) & (this.#ring.length - 1);
      const chunk = this.#ring[slot]!;
      if (at >= chunk.length) {
        at -= chunk.length;
        continue;
      }
      if (i === 0 && at === this.#offset) return this.shiftItem();
      const [item] = chunk.splice(at, 1);
      this.#items--;
      if (chunk.length === (i === 0 ? this.#offset : 0)) this.#removeEmpty(i);
      return item!;
    }
    throw new RangeError(`sluice internal error: no queued item at ${position}`);
  }

  /** Removes everything; returns how many items were dropped. */
  clear(): number {
    let dropped = -this.#offset;
    while (this.#length > 0) {
      dropped += this.#ring[this.#head]!.length;
      this.#dropHead();
    }
    this.#offset = 0;
    this.#items = 0;
    return Math.max(0, dropped);
  }

  /** Drops the chunk `i` places from the head, which has no item left. */
  #removeEmpty(i: number): void {
    if (i === 0) {
      this.#dropHead();
      return;
    }
    const mask = this.#ring.length - 1;
    const stamps = this.#stamps;
    for (let k = i; k < this.#length - 1; k++) {
      this.#ring[(this.#head + k) & mask] = this.#ring[(this.#head + k + 1) & mask];
      if (stamps !== undefined)
        stamps[(this.#head + k) & mask] = stamps[(this.#head + k + 1) & mask]!;
    }
    this.#ring[(this.#head + this.#length - 1) & mask] = undefined;
    this.#length--;
  }

  #dropHead(): void {
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#ring.length - 1);
    this.#length--;
    this.#offset = 0;
  }

  #grow(): void {
    const old = this.#ring;
    const ring = new Array<T[] | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.#length; i++) ring[i] = old[(this.#head + i) & (old.length - 1)];
    this.#ring = ring;
    const stamps = this.#stamps;
    if (stamps !== undefined) {
      const grown = new Array<number>(ring.length).fill(0);
      for (let i = 0; i < this.#length; i++)
        grown[i] = stamps[(this.#head + i) & (old.length - 1)]!;
      this.#stamps = grown;
    }
    this.#head = 0;
  }
}
