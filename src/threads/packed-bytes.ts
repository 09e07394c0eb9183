/**
 * Byte items packed for a thread: a batch whose items are all `Uint8Array`s (Node `Buffer`s
 * included) travels as one `ArrayBuffer`, copied once with `set()` and transferred, instead of
 * through the structured-clone serializer item by item (about 2 µs per 1 KiB item, as much as
 * hashing it). The thread sees views over the packed bytes: `Buffer`s when the items were
 * `Buffer`s, plain `Uint8Array`s otherwise. The main thread keeps its items untouched, so a
 * crashed thread's items can be sent again. Once the batch has answered, its buffer may come
 * back to be packed again: a call that keeps an item past its own end must copy it.
 * @module
 */

/** The packed items of a batch: their end offsets first, then their bytes. */
export interface PackedBytes {
  /** `[count × Uint32 end offsets][pad to 8][bytes]`. */
  readonly buffer: ArrayBuffer;
  readonly count: number;
  /** Whether the items were Node `Buffer`s (the thread rebuilds `Buffer` views). */
  readonly buffers: boolean;
}

/** Batches smaller than this go through structured clone: packing would not pay. */
const MIN_PACKED_ITEMS = 2;

/**
 * Packing buffers that threads sent back, kept for the next batches. A fresh buffer costs
 * the main thread a page fault per 4 KiB on first write (a 1 MiB buffer took 3–7 ms in a VM
 * on 2 cores, S4), so buffers are sized to the largest batch packed so far: once the batch
 * size has settled, every spare fits every batch and none is made after the first few. The
 * last buffer back goes out first, its bytes the likeliest still in a cache.
 */
export class PackingSpares {
  readonly #buffers: ArrayBuffer[] = [];
  readonly #keep: number;
  /** The largest packing made so far, in bytes: what every new buffer is sized to. */
  #largest = 0;

  /** @param keep how many spare buffers to hold at most. */
  constructor(keep: number) {
    this.#keep = keep;
  }

  get size(): number {
    return this.#buffers.length;
  }

  /**
   * A buffer of at least `bytes`: the last spare given back, or a new one. A spare too small
   * for it is dropped (made before the batches grew, it would only be passed over again).
   */
  take(bytes: number): ArrayBuffer {
    const buffers = this.#buffers;
    while (buffers.length > 0) {
      const buffer = buffers.pop()!;
      if (buffer.byteLength >= bytes) return buffer;
    }
    if (bytes > this.#largest) this.#largest = roundUp(bytes);
    return Buffer.allocUnsafeSlow(this.#largest).buffer as ArrayBuffer;
  }

  /** Keeps a buffer a thread sent back, unless as many as `keep` are kept already. */
  give(buffer: ArrayBuffer): void {
    if (this.#buffers.length < this.#keep) this.#buffers.push(buffer);
  }
}

/** Up to a whole 4 KiB page: the tail of the last page is faulted in anyway. */
function roundUp(bytes: number): number {
  return (bytes + 4095) & ~4095;
}

/**
 * Packs `items` when every one is a `Uint8Array` of the same class (all `Buffer`s or none);
 * `undefined` otherwise, and the batch is cloned as it is.
 */
export function packBytes(
  items: readonly unknown[],
  spares: PackingSpares,
): PackedBytes | undefined {
  const count = items.length;
  if (count < MIN_PACKED_ITEMS) return undefined;
  const first = items[0];
  if (!(first instanceof Uint8Array)) return undefined;
  // One class for the whole batch (Buffer, or Uint8Array): a constructor compare per item.
  const kind = first.constructor;
  const buffers = Buffer.isBuffer(first);
  // `length`, not `byteLength`: the same for byte arrays, and measurably cheaper per item.
  let total = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i] as Uint8Array | null | undefined;
    if (item === undefined || item === null || item.constructor !== kind) return undefined;
    total += item.length;
  }
  const base = headerBytes(count);
  const buffer = spares.take(base + total);
  const ends = new Uint32Array(buffer, 0, count);
  const bytes = new Uint8Array(buffer, base);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i] as Uint8Array;
    bytes.set(item, offset);
    offset += item.length;
    ends[i] = offset;
  }
  return { buffer, count, buffers };
}

/**
 * Whether a thread may hand a batch's packing buffer back for reuse: only when nothing it
 * sends with it can be a view over it (every value a primitive, no failure), so no result on
 * the main thread ever shares memory with a buffer that is written again.
 */
export function mayReturnPacking(
  values: readonly unknown[] | undefined,
  failures: readonly unknown[] | undefined,
): boolean {
  if (failures !== undefined && failures.length > 0) return false;
  if (values === undefined) return true;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === "object" && value !== null) return false;
  }
  return true;
}

/**
 * Reads packed items in order on the thread, one view per `next()`, no bytes copied. A view
 * is made only when its call starts: a batch's 1,024 views made up front all outlived a young
 * collection and doubled the thread's GC time (S4).
 */
export class PackedItems {
  readonly count: number;
  readonly #buffer: ArrayBuffer;
  readonly #ends: Uint32Array;
  readonly #base: number;
  readonly #buffers: boolean;
  #index = 0;
  #start = 0;

  constructor(packed: PackedBytes) {
    this.count = packed.count;
    this.#buffer = packed.buffer;
    this.#ends = new Uint32Array(packed.buffer, 0, packed.count);
    this.#base = headerBytes(packed.count);
    this.#buffers = packed.buffers;
  }

  /** The next item: a `Buffer` when the items were `Buffer`s, a `Uint8Array` otherwise. */
  next(): Uint8Array {
    const start = this.#start;
    const end = this.#ends[this.#index++]!;
    this.#start = end;
    return this.#buffers
      ? new BufferView(this.#buffer, this.#base + start, end - start)
      : new Uint8Array(this.#buffer, this.#base + start, end - start);
  }
}

type ViewClass = new (buffer: ArrayBuffer, byteOffset: number, length: number) => Uint8Array;

/**
 * Node's own `Buffer` class (`FastBuffer`, what `Buffer[Symbol.species]` names): a view made
 * with `new` skips `Buffer.from`'s argument checks, which the packing already guarantees, and
 * keeps the thread's per-item code small enough to compile cheaply (S4). Where the species is
 * not there, `Buffer.from`.
 */
const BufferView: ViewClass = (() => {
  const species: unknown = (Buffer as unknown as Record<symbol, unknown>)[Symbol.species];
  if (typeof species === "function" && species !== Buffer) return species as ViewClass;
  return function view(buffer: ArrayBuffer, byteOffset: number, length: number) {
    return Buffer.from(buffer, byteOffset, length);
  } as unknown as ViewClass;
})();

/** Every packed item at once, in order (for tests and for a batch read out of order). */
export function unpackBytes(packed: PackedBytes): Uint8Array[] {
  const reader = new PackedItems(packed);
  const items = new Array<Uint8Array>(reader.count);
  for (let i = 0; i < reader.count; i++) items[i] = reader.next();
  return items;
}

/** The end offsets' bytes, rounded up to 8 so the bytes start aligned. */
function headerBytes(count: number): number {
  return (count * 4 + 7) & ~7;
}
