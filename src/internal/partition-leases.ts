import { hash } from "./partition-hash.js";

/**
 * Where a broker keeps the leases of a partitioned stream's partitions and the heartbeats of
 * its workers (Redis keys, a NATS KV bucket). Every lease and heartbeat lapses by itself
 * after the lease time unless renewed, so a dead worker's partitions come free.
 */
export interface LeaseStore {
  /** Records this worker as alive; resolves to the live workers, this one included. */
  beat(): Promise<number>;
  /** Leases `partition` if nobody holds it; whether it did. */
  take(partition: number): Promise<boolean>;
  /** Renews this worker's lease of `partition`; false when it was lost (another has it). */
  renew(partition: number): Promise<boolean>;
  /** Gives up this worker's lease of `partition` (if it still holds it). */
  release(partition: number): Promise<void>;
  /** Leaves the live workers. */
  leave(): Promise<void>;
}

/**
 * Which partitions of a partitioned stream this worker reads: each partition is leased by
 * one worker at a time, renewed every tick, so the messages of one partition (and so of one
 * key) are read by one worker at a time. The live workers share the partitions: each takes
 * at most its fair share (⌈partitions ÷ workers⌉) and gives up what is above it once it
 * holds nothing of that partition unacked, so a new worker gets partitions and a dead one's
 * lapse to the others.
 */
export class PartitionLeases {
  readonly #store: LeaseStore;
  readonly #partitions: number;
  /** Where this worker starts looking, so workers do not all race for partition 0. */
  readonly #offset: number;
  /** Partitions leased and read. */
  readonly owned = new Set<number>();
  /** Partitions leased, no longer read: released once nothing of theirs is held. */
  readonly draining = new Set<number>();
  /** Partitions leased since the last look: their previous owner's pending messages come first. */
  readonly acquired = new Set<number>();

  constructor(store: LeaseStore, partitions: number, worker: string) {
    this.#store = store;
    this.#partitions = partitions;
    this.#offset = hash(worker) % partitions;
  }

  /**
   * Beats the heart, renews the leases held, releases drained partitions that hold nothing
   * (`heldIn(i)`), and takes or gives up partitions toward this worker's fair share.
   */
  async tick(heldIn: (partition: number) => number): Promise<void> {
    const store = this.#store;
    const live = Math.max(1, await store.beat());
    const share = Math.ceil(this.#partitions / live);
    for (const partition of [...this.owned, ...this.draining]) {
      if (!(await store.renew(partition))) {
        // Lost (this worker stalled past its lease): another has it now.
        this.owned.delete(partition);
        this.draining.delete(partition);
        this.acquired.delete(partition);
      }
    }
    for (const partition of this.draining) {
      if (heldIn(partition) > 0) continue;
      await store.release(partition);
      this.draining.delete(partition);
    }
    if (this.owned.size > share) {
      const last = Math.max(...this.owned);
      this.owned.delete(last);
      this.acquired.delete(last);
      this.draining.add(last);
    }
    for (let i = 0; i < this.#partitions && this.owned.size + this.draining.size < share; i++) {
      const partition = (this.#offset + i) % this.#partitions;
      if (this.owned.has(partition) || this.draining.has(partition)) continue;
      if (await store.take(partition)) {
        this.owned.add(partition);
        this.acquired.add(partition);
      }
    }
  }

  /** Gives every lease up and leaves the workers (the run has settled). */
  async releaseAll(): Promise<void> {
    for (const partition of [...this.owned, ...this.draining]) {
      await this.#store.release(partition);
    }
    this.owned.clear();
    this.draining.clear();
    this.acquired.clear();
    await this.#store.leave();
  }
}
