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
 * Packs `items` when every one is a `Uint8Array` of the same class (all `Buffer`s or none);
 * `undefined` otherwise, and the batch is cloned as it is.
 */
export function packBytes(
  items: readonly unknown[],
  spares: ArrayBuffer[],
): PackedBytes | undefined {
  const count = items.length;
  if (count < MIN_PACKED_ITEMS) return undefined;
  const first = items[0];
  if (!(first instanceof Uint8Array)) return undefined;
  // One class for the whole batch (Buffer, or Uint8Array): a constructor compare per item.
  const kind = first.constructor;
  const buffers = Buffer.isBuffer(first);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i] as Uint8Array | undefined;
    if (item?.constructor !== kind) return undefined;
    total += item.byteLength;
  }
  const base = headerBytes(count);
  const buffer = spareOf(spares, base + total) ?? Buffer.allocUnsafeSlow(base + total).buffer;
  const ends = new Uint32Array(buffer, 0, count);
  const bytes = new Uint8Array(buffer, base);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i] as Uint8Array;
    bytes.set(item, offset);
    offset += item.byteLength;
    ends[i] = offset;
  }
  return { buffer, count, buffers };
}

/**
 * A spare packing buffer of at least `bytes`, taken from `spares` (buffers threads sent back
 * with their results): reusing them saves a fresh buffer's page faults, about a tenth of the
 * main thread's work for 1 KiB items. `undefined` when none is big enough.
 */
function spareOf(spares: ArrayBuffer[], bytes: number): ArrayBuffer | undefined {
  for (let i = spares.length - 1; i >= 0; i--) {
    const spare = spares[i]!;
    if (spare.byteLength >= bytes && spare.byteLength <= bytes * 2) {
      spares.splice(i, 1);
      return spare;
    }
  }
  return undefined;
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

/** Views over packed items, in order (on the thread): no bytes are copied. */
export function unpackBytes(packed: PackedBytes): Uint8Array[] {
  const { buffer, count, buffers } = packed;
  const base = headerBytes(count);
  const ends = new Uint32Array(buffer, 0, count);
  const items = new Array<Uint8Array>(count);
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[i]!;
    items[i] = buffers
      ? Buffer.from(buffer, base + start, end - start)
      : new Uint8Array(buffer, base + start, end - start);
    start = end;
  }
  return items;
}

/** The end offsets' bytes, rounded up to 8 so the bytes start aligned. */
function headerBytes(count: number): number {
  return (count * 4 + 7) & ~7;
}
