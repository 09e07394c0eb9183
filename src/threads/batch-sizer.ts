/** Largest batch: past ~1,000 items a message's fixed cost is already far below 1%. */
export const MAX_BATCH = 1024;
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

/**
 * Chooses how many items go to a thread per message from the measured cost of an item: the
 * thread reports how long each batch took (one clock read per batch), and the size follows a
 * moving average of the time per item. A fixed `batch` option turns this off.
 */
export class BatchSizer {
  #size: number;
  readonly #fixed: boolean;
  #msPerItem: number | undefined;

  constructor(fixed: number | undefined) {
    this.#fixed = fixed !== undefined;
    this.#size = fixed ?? FIRST_BATCH;
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
    const perItem = ms / count;
    const last = this.#msPerItem;
    // Cheaper than thought: believe it at once (the first batches run cold, before the JIT
    // has compiled the function, and a slow climb costs many small round trips). Dearer:
    // move a third of the way, so one slow batch does not halve the next.
    this.#msPerItem = last === undefined || perItem < last ? perItem : last * 0.7 + perItem * 0.3;
    const size = Math.round(TARGET_BATCH_MS / Math.max(this.#msPerItem, 1e-6));
    this.#size = Math.max(1, Math.min(MAX_BATCH, size));
  }
}
