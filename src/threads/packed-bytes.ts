/**
 * Items packed for a thread as bytes, in one `ArrayBuffer` per batch, copied once and
 * transferred, instead of through the structured-clone serializer item by item:
 *
 * - Byte items (`Uint8Array`s, Node `Buffer`s included): the serializer took about 2 µs per
 *   1 KiB item, as much as hashing it. The thread sees views over the packed bytes: `Buffer`s
 *   when the items were `Buffer`s, plain `Uint8Array`s otherwise.
 * - Long strings of Latin-1 characters (what V8 stores one byte per character: JSON, CSV,
 *   logs): the serializer copies them too, into a message it allocates afresh for every
 *   batch, and that memory came back from the allocator unmapped often enough to cost 36 to
 *   270 µs per 100 KiB document on the main thread (S8b, 5–8 documents a batch), against the
 *   1–10 µs of copying one into a buffer already mapped. The thread makes each string as its
 *   call starts, one byte per character, as the deserializer would have.
 *
 * The main thread keeps its items untouched, so a crashed thread's items can be sent again.
 * Once the batch has answered, its buffer may come back to be packed again: a call that
 * keeps a byte item past its own end must copy it (strings are copies already).
 * @module
 */

/** What a packing's items were, so the thread rebuilds the same. */
export const PackedKind = { bytes: 0, buffers: 1, latin1: 2 } as const;

/** One of {@link PackedKind}. */
export type PackedKindCode = (typeof PackedKind)[keyof typeof PackedKind];

/** The packed items of a batch: their end offsets first, then their bytes. */
export interface PackedBytes {
  /** `[count × Uint32 end offsets][pad to 64][bytes]`. */
  readonly buffer: ArrayBuffer;
  readonly count: number;
  /** Plain `Uint8Array`s, Node `Buffer`s, or strings of one byte per character. */
  readonly kind: PackedKindCode;
}

/** Batches smaller than this go through structured clone: packing would not pay. */
const MIN_PACKED_ITEMS = 2;

/**
 * Batches holding more bytes than this go through structured clone: one allocation that
 * large may fail where the serializer's item-by-item copy does not, and the end offsets
 * are 32-bit.
 */
const MAX_PACKED_BYTES = 2 ** 30;

/**
 * Strings shorter than this on average go through structured clone: the serializer handles
 * short strings well, and the thread would make each one with a call of its own.
 */
const MIN_PACKED_STRING_CHARS = 1024;

/**
 * A character outside Latin-1, which one byte per character cannot carry. V8 answers at once
 * for a string it stores one byte per character (no character can match); only a string
 * stored two bytes per character is scanned.
 */
const BEYOND_LATIN1 = /[\u0100-\uffff]/;

/**
 * Most bytes a new packing buffer reserves beyond what its batch needs: room for a whole
 * batch of items as large as these, up to this much.
 */
const MAX_RESERVE_BYTES = 8 * 1024 * 1024;

/**
 * Packing buffers that threads sent back, kept for the next batches. A fresh buffer costs
 * the main thread a page fault per 4 KiB on first write (a 1 MiB buffer took 3–7 ms in a VM
 * on 2 cores, S4), so a new buffer has room for a whole batch of items the size of the ones
 * at hand (up to {@link MAX_RESERVE_BYTES} more than this batch needs), and is never smaller
 * than the largest made so far. Sized to the batch at hand, every batch a few items larger
 * than the last dropped the spares and faulted in new ones: 31 buffers, 164 MiB, for S8a's
 * batches of 6–6.6 MiB. Only the pages written are faulted in; the rest of a buffer is
 * address space. The last buffer back goes out first, its bytes the likeliest still in a
 * cache.
 */
export class PackingSpares {
  readonly #buffers: ArrayBuffer[] = [];
  readonly #keep: number;
  readonly #fullBatch: number;
  /** The largest buffer made so far, in bytes: no new one is made smaller. */
  #largest = 0;

  /**
   * @param keep how many spare buffers to hold at most.
   * @param fullBatch the most items a batch may hold: what a new buffer makes room for.
   */
  constructor(keep: number, fullBatch = 1) {
    this.#keep = keep;
    this.#fullBatch = fullBatch;
  }

  get size(): number {
    return this.#buffers.length;
  }

  /**
   * A buffer for `count` items of `itemBytes` bytes in all: the last spare given back that
   * holds them, or a new one. A spare too small is dropped (made before the batches grew, it
   * would only be passed over again).
   */
  take(count: number, itemBytes: number): ArrayBuffer {
    const bytes = headerBytes(count) + itemBytes;
    const buffers = this.#buffers;
    while (buffers.length > 0) {
      const buffer = buffers.pop()!;
      if (buffer.byteLength >= bytes) return buffer;
    }
    const full = Math.max(count, this.#fullBatch);
    const whole = headerBytes(full) + Math.ceil((itemBytes / count) * full);
    const reserved = Math.max(bytes, Math.min(whole, bytes + MAX_RESERVE_BYTES));
    this.#largest = Math.max(this.#largest, roundUp(reserved));
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
 * Packs `items` when every one is a `Uint8Array` of the same class (all `Buffer`s or none),
 * or a string of Latin-1 characters (long ones: {@link MIN_PACKED_STRING_CHARS} on average);
 * `undefined` otherwise, and the batch is cloned as it is.
 */
export function packBytes(
  items: readonly unknown[],
  spares: PackingSpares,
): PackedBytes | undefined {
  const count = items.length;
  if (count < MIN_PACKED_ITEMS) return undefined;
  const first = items[0];
  if (!(first instanceof Uint8Array)) {
    return typeof first === "string" ? packStrings(items, spares) : undefined;
  }
  // Views of shared memory cross as they are, without a copy (see sharedBufferItems).
  if (first.buffer instanceof SharedArrayBuffer) return undefined;
  // One class for the whole batch (Buffer, or Uint8Array): a constructor compare per item.
  const kind = first.constructor;
  // `length`, not `byteLength`: the same for byte arrays, and measurably cheaper per item.
  let total = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i] as Uint8Array | null | undefined;
    if (item === undefined || item === null || item.constructor !== kind) return undefined;
    total += item.length;
  }
  if (total > MAX_PACKED_BYTES) return undefined;
  const base = headerBytes(count);
  const buffer = spares.take(count, total);
  const ends = new Uint32Array(buffer, 0, count);
  const bytes = new Uint8Array(buffer, base);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i] as Uint8Array;
    bytes.set(item, offset);
    offset += item.length;
    ends[i] = offset;
  }
  return {
    buffer,
    count,
    kind: Buffer.isBuffer(first) ? PackedKind.buffers : PackedKind.bytes,
  };
}

/**
 * Whether a batch's items are all `Buffer`s, the first viewing a `SharedArrayBuffer`. Such
 * items are not packed: structured clone sends a view of shared memory as a view of the same
 * memory, so the thread reads the caller's bytes with no copy at all (S8a: a copy of a 64 KiB
 * item cost the main thread 5–6 µs). Clone makes each a plain `Uint8Array`; the thread makes
 * it a `Buffer` again ({@link SharedBufferItems}).
 */
export function sharedBufferItems(items: readonly unknown[]): boolean {
  const first = items[0];
  if (!Buffer.isBuffer(first) || !(first.buffer instanceof SharedArrayBuffer)) return false;
  for (let i = 1; i < items.length; i++) if (!Buffer.isBuffer(items[i])) return false;
  return true;
}

/** {@link packBytes} for a batch that starts with a string. */
function packStrings(items: readonly unknown[], spares: PackingSpares): PackedBytes | undefined {
  const count = items.length;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i];
    if (typeof item !== "string") return undefined;
    total += item.length;
  }
  if (total < count * MIN_PACKED_STRING_CHARS || total > MAX_PACKED_BYTES) return undefined;
  for (let i = 0; i < count; i++) if (BEYOND_LATIN1.test(items[i] as string)) return undefined;
  const base = headerBytes(count);
  const buffer = spares.take(count, total);
  const ends = new Uint32Array(buffer, 0, count);
  const bytes = Buffer.from(buffer, base);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    offset += bytes.write(items[i] as string, offset, "latin1");
    ends[i] = offset;
  }
  return { buffer, count, kind: PackedKind.latin1 };
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
 * The packing buffer a thread hands back with a batch's results: a byte packing only when no
 * result views it (`unaliased`: the results are plain, {@link mayReturnPacking}, or were
 * given bytes of their own, `ownBytes`); a string packing always, since each string was a
 * copy.
 */
export function packingToReturn(
  packed: PackedBytes | undefined,
  unaliased: boolean,
): ArrayBuffer | undefined {
  if (packed === undefined) return undefined;
  return unaliased || packed.kind === PackedKind.latin1 ? packed.buffer : undefined;
}

/**
 * Reads packed items in order on the thread, one item per `next()`: a view over the packed
 * bytes (no bytes copied), or a string. An item is made only when its call starts: a batch's
 * 1,024 views made up front all outlived a young collection and doubled the thread's GC time
 * (S4).
 */
export class PackedItems {
  readonly count: number;
  readonly #buffer: ArrayBuffer;
  readonly #ends: Uint32Array;
  readonly #base: number;
  readonly #kind: PackedKindCode;
  /** The bytes as a `Buffer`, for strings: they are read with its `toString`. */
  readonly #text: Buffer | undefined;
  #index = 0;
  #start = 0;

  constructor(packed: PackedBytes) {
    this.count = packed.count;
    this.#buffer = packed.buffer;
    this.#ends = new Uint32Array(packed.buffer, 0, packed.count);
    this.#base = headerBytes(packed.count);
    this.#kind = packed.kind;
    this.#text = packed.kind === PackedKind.latin1 ? Buffer.from(packed.buffer) : undefined;
  }

  /** The next item: a `Buffer` or a `Uint8Array` as the items were, or a string. */
  next(): Uint8Array | string {
    const start = this.#start;
    const end = this.#ends[this.#index++]!;
    this.#start = end;
    switch (this.#kind) {
      case PackedKind.buffers:
        return new BufferView(this.#buffer, this.#base + start, end - start);
      case PackedKind.bytes:
        return new Uint8Array(this.#buffer, this.#base + start, end - start);
      default:
        return this.#text!.toString("latin1", this.#base + start, this.#base + end);
    }
  }
}

/**
 * Reads the items of a batch of {@link sharedBufferItems} in order on the thread: each the
 * `Buffer` it was on the main thread, over the same shared memory.
 */
export class SharedBufferItems {
  readonly count: number;
  readonly #items: readonly Uint8Array[];
  #index = 0;

  constructor(items: readonly unknown[]) {
    this.count = items.length;
    this.#items = items as readonly Uint8Array[];
  }

  next(): Uint8Array {
    const item = this.#items[this.#index++]!;
    return new BufferView(item.buffer as ArrayBuffer, item.byteOffset, item.length);
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
export function unpackBytes(packed: PackedBytes): (Uint8Array | string)[] {
  const reader = new PackedItems(packed);
  const items = new Array<Uint8Array | string>(reader.count);
  for (let i = 0; i < reader.count; i++) items[i] = reader.next();
  return items;
}

/**
 * The end offsets' bytes, rounded up to a 64-byte cache line, where the items' bytes start.
 * Rounded up to 8, half the batches started their bytes at 8 mod 16, and copying 64 KiB
 * items there took ~14% longer (a `memmove` whose stores straddle lines; S8a).
 */
function headerBytes(count: number): number {
  return (count * 4 + 63) & ~63;
}
