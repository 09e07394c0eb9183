/** Largest batch: past ~1,000 items a message's fixed cost is already far below 1%. */
export const MAX_BATCH = 1024;
/**
 * Most bytes of byte and string items (counting those a record or an array holds directly) a
 * batch takes (it always takes one item): a batch is copied whole (packed or cloned), and two
 * per thread are in flight. 24 items of 64 MiB went 8 to a batch and held 1.7 GB at once.
 * At 4 MiB rather than 16, S8a's batches of 64 KiB items went from ~100 items (6.5 MiB) to
 * 64, like the hand-written baseline's: the five packing buffers a stage cycles through
 * touch less memory (peak RSS 166 → 154 MB) and the main thread spent 4–12% less CPU on
 * them (two sets of 8 runs), with the wall time unchanged within the noise. A message per
 * 4 MiB is far below 1% of the cost of copying it.
 */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * What an item weighs against {@link MAX_BATCH_BYTES}: a byte item's bytes, a string's
 * characters, and for a record or an array the same of what it holds directly (one level:
 * `{ key, body: Buffer }` weighs its body; records with distinct 1 MiB bodies went up to
 * 1,005 to a batch when they weighed nothing, 1 GiB copied at once). Numbers and deeper
 * values weigh nothing. Byte arrays by `length`: `byteLength` took half as long again, per
 * item of S4.
 */
export function itemBytes(item: unknown): number {
  if (typeof item === "string") return item.length;
  if (typeof item !== "object" || item === null) return 0;
  // A revoked proxy throws even from `instanceof`: it weighs nothing here, and clone refuses
  // it later with the same error, so it fails alone (it threw out of the stage's dispatch).
  try {
    if (item instanceof Uint8Array) return item.length;
    return objectBytes(item);
  } catch {
    return 0;
  }
}

/** What an object holds, as {@link itemBytes} weighs it; may throw (a getter, a proxy). */
function objectBytes(item: object): number {
  if (Array.isArray(item)) return membersBytes(item);
  if (ArrayBuffer.isView(item) || item instanceof ArrayBuffer) return item.byteLength;
  if ((item as { constructor?: unknown }).constructor === Object) return fieldsBytes(item);
  return 0;
}

/** A leaf's weight: bytes or characters, nothing for anything else. */
function leafBytes(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (typeof value !== "object" || value === null) return 0;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
  return 0;
}

/** The weight of an array's members, a level deep. */
function membersBytes(values: readonly unknown[]): number {
  let bytes = 0;
  for (let i = 0; i < values.length; i++) bytes += leafBytes(values[i]);
  return bytes;
}

/** The weight of a record's enumerable fields, a level deep. */
function fieldsBytes(record: object): number {
  let bytes = 0;
  for (const key in record) bytes += leafBytes((record as Record<string, unknown>)[key]);
  return bytes;
}

/** The first batches, before any item's cost has been measured. */
const FIRST_BATCH = 8;
/**
 * Time a batch should keep its thread busy. A message costs tens of µs each way, so a 4 ms
 * batch keeps messaging near 1% of the work, while the batches of an ordered stage stay
 * short enough that the reorder window does not wait long on the slowest.
 */
const TARGET_BATCH_MS = 4;
/** Work a thread claims at once from its batch: what a stolen tail may wait for, at most. */
const CLAIM_MS = 0.05;
/** Most positions claimed at once. */
const MAX_CLAIM_STEP = 64;
/** Batches whose cost per item the estimate is the least of. */
const WINDOW = 4;

/**
 * Chooses how many items go to a thread per message from the measured cost of an item: the
 * thread reports how long each batch took (one clock read per batch), and the cost of an item
 * is the least of the last {@link WINDOW} batches' costs. A batch's time is a wall-clock
 * time: a thread descheduled (2 threads and the main thread on 2 cores), a collection or a
 * cold JIT only ever make it longer, so the least is the truest. An average followed them:
 * one late batch of 1,024 hashes cut the next batches to 400–800 items, each costing a round
 * trip and splitting the stage's width into pieces that outlived it (S4). Dearer items are
 * believed once every batch of the window says so. A fixed `batch` option turns this off.
 */
export class BatchSizer {
  #size: number;
  readonly #fixed: boolean;
  #msPerItem: number | undefined;
  /** Bytes of byte and string items per item in the last batch taken (0: none). */
  #bytesPerItem = 0;
  /** The last batches' costs per item, a ring. */
  readonly #recent = new Float64Array(WINDOW).fill(Number.POSITIVE_INFINITY);
  #next = 0;

  constructor(fixed: number | undefined) {
    this.#fixed = fixed !== undefined;
    this.#size = fixed ?? FIRST_BATCH;
  }

  /** Whether the `batch` option fixed the size (no adapting, no byte limit). */
  get fixed(): boolean {
    return this.#fixed;
  }

  /** The measured time per item, in ms; `undefined` before the first batch answered. */
  get msPerItem(): number | undefined {
    return this.#msPerItem;
  }

  /** Items for the next batch. */
  get size(): number {
    return this.#size;
  }

  /**
   * Positions a thread claims at a time (`BatchMessage.claimStep`): 1 until an item's
   * cost is known, then as many as run in {@link CLAIM_MS}.
   */
  get claimStep(): number {
    const perItem = this.#msPerItem;
    if (perItem === undefined) return 1;
    return Math.max(1, Math.min(MAX_CLAIM_STEP, Math.floor(CLAIM_MS / Math.max(perItem, 1e-6))));
  }

  /** A batch of `count` items took `ms` on its thread. */
  observe(count: number, ms: number): void {
    if (this.#fixed || count === 0 || !(ms >= 0)) return;
    const recent = this.#recent;
    recent[this.#next] = ms / count;
    this.#next = (this.#next + 1) % WINDOW;
    let least = recent[0]!;
    for (let i = 1; i < WINDOW; i++) if (recent[i]! < least) least = recent[i]!;
    this.#msPerItem = least;
    this.#resize();
  }

  /**
   * A batch of `count` items held `bytes` bytes of byte and string items: the next batches
   * hold at most {@link MAX_BATCH_BYTES} (the stage stops taking items there too).
   */
  observeBytes(count: number, bytes: number): void {
    if (this.#fixed || count === 0) return;
    this.#bytesPerItem = bytes / count;
    this.#resize();
  }

  #resize(): void {
    const perItem = this.#msPerItem;
    let size =
      perItem === undefined ? FIRST_BATCH : Math.round(TARGET_BATCH_MS / Math.max(perItem, 1e-6));
    if (this.#bytesPerItem > 0)
      size = Math.min(size, Math.floor(MAX_BATCH_BYTES / this.#bytesPerItem));
    this.#size = Math.max(1, Math.min(MAX_BATCH, size));
  }
}
