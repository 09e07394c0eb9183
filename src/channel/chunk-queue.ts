/**
 * A FIFO of chunks (arrays) with a read offset into the head chunk. Chunks are stored as
 * handed over, never copied, so moving N items costs one push and one shift.
 */
export class ChunkQueue<T> {
  #chunks: (T[] | undefined)[] = [];
  #head = 0;
  #offset = 0;

  /** Whether no chunk is queued. */
  get empty(): boolean {
    return this.#head === this.#chunks.length;
  }

  /** Appends a non-empty chunk; the queue owns it from now on. */
  push(chunk: T[]): void {
    this.#chunks.push(chunk);
  }

  /** Removes and returns the rest of the head chunk, or `undefined` when empty. */
  shiftChunk(max = Number.POSITIVE_INFINITY): T[] | undefined {
    if (this.#head === this.#chunks.length) return undefined;
    const chunk = this.#chunks[this.#head]!;
    const remaining = chunk.length - this.#offset;
    if (this.#offset === 0 && remaining <= max) {
      this.#dropHead();
      return chunk;
    }
    const take = Math.min(remaining, max);
    const part = chunk.slice(this.#offset, this.#offset + take);
    this.#offset += take;
    if (this.#offset === chunk.length) this.#dropHead();
    return part;
  }

  /** Removes and returns one item; the caller checks `empty` first. */
  shiftItem(): T {
    const chunk = this.#chunks[this.#head]!;
    const item = chunk[this.#offset]!;
    chunk[this.#offset] = undefined as T;
    this.#offset++;
    if (this.#offset === chunk.length) this.#dropHead();
    return item;
  }

  /** Removes everything; returns how many items were dropped. */
  clear(): number {
    let dropped = 0;
    for (let i = this.#head; i < this.#chunks.length; i++) dropped += this.#chunks[i]!.length;
    dropped -= this.#offset;
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    return dropped;
  }

  #dropHead(): void {
    this.#chunks[this.#head] = undefined;
    this.#head++;
    this.#offset = 0;
    // Compact rarely: a shift per chunk would be O(n) each time.
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
