import type { Redis } from "ioredis";
import { hash } from "../internal/partition-hash.js";

/** Renews a lease only if this consumer still holds it. */
const RENEW = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;
/** Gives a lease up only if this consumer still holds it. */
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

/** What {@link PartitionLeases} needs to know of a partitioned stream. */
export interface PartitionPlan {
  /** The stream's key: partition `i` is the stream `<key>:<i>`. */
  readonly key: string;
  readonly partitions: number;
  readonly consumer: string;
  /** How long a lease (and a worker's heartbeat) lasts without renewal, in ms. */
  readonly leaseMs: number;
}

/**
 * Which partitions of a partitioned stream this consumer reads: each partition is leased by
 * one consumer at a time (`SET <key>:<i>:owner NX PX`), renewed every tick, so the entries of
 * one partition (and so of one key) are read by one worker at a time. The live workers
 * (heartbeats in the sorted set `<key>:workers`) share the partitions: each takes at most its
 * fair share (⌈partitions ÷ workers⌉) and gives up what is above it once it holds nothing of
 * that partition unacked, so a new worker gets partitions and a dead one's lapse to the others.
 */
export class PartitionLeases {
  readonly #client: Redis;
  readonly #plan: PartitionPlan;
  /** Partitions leased and read. */
  readonly owned = new Set<number>();
  /** Partitions leased, no longer read: released once nothing of theirs is held. */
  readonly draining = new Set<number>();
  /** Partitions leased since the last look: their previous owner's pending entries come first. */
  readonly acquired = new Set<number>();

  constructor(client: Redis, plan: PartitionPlan) {
    this.#client = client;
    this.#plan = plan;
  }

  /** The stream key of partition `i`. */
  streamOf(partition: number): string {
    return `${this.#plan.key}:${partition}`;
  }

  /**
   * Beats the heart, renews the leases held, releases drained partitions that hold nothing
   * (`heldIn(i)`), and takes or gives up partitions toward this worker's fair share.
   */
  async tick(heldIn: (partition: number) => number): Promise<void> {
    const { key, partitions, consumer, leaseMs } = this.#plan;
    const client = this.#client;
    const now = Date.now();
    const workers = `${key}:workers`;
    await client.zadd(workers, now, consumer);
    await client.zremrangebyscore(workers, "-inf", now - leaseMs);
    const live = Math.max(1, await client.zcard(workers));
    const share = Math.ceil(partitions / live);
    for (const partition of [...this.owned, ...this.draining]) {
      const kept = await client.eval(RENEW, 1, this.#ownerKey(partition), consumer, leaseMs);
      if (kept === 0) {
        // Lost (this worker stalled past its lease): another has it now.
        this.owned.delete(partition);
        this.draining.delete(partition);
      }
    }
    for (const partition of this.draining) {
      if (heldIn(partition) > 0) continue;
      await client.eval(RELEASE, 1, this.#ownerKey(partition), consumer);
      this.draining.delete(partition);
    }
    if (this.owned.size > share) {
      const last = Math.max(...this.owned);
      this.owned.delete(last);
      this.draining.add(last);
    }
    // Start looking at a place of this worker's own, so workers do not all race for 0.
    const offset = hash(consumer) % partitions;
    for (let i = 0; i < partitions && this.owned.size + this.draining.size < share; i++) {
      const partition = (offset + i) % partitions;
      if (this.owned.has(partition) || this.draining.has(partition)) continue;
      const taken = await client.set(this.#ownerKey(partition), consumer, "PX", leaseMs, "NX");
      if (taken === "OK") {
        this.owned.add(partition);
        this.acquired.add(partition);
      }
    }
  }

  /** Gives every lease up and leaves the workers (the run has settled). */
  async releaseAll(): Promise<void> {
    const { key, consumer } = this.#plan;
    for (const partition of [...this.owned, ...this.draining]) {
      await this.#client.eval(RELEASE, 1, this.#ownerKey(partition), consumer);
    }
    this.owned.clear();
    this.draining.clear();
    await this.#client.zrem(`${key}:workers`, consumer);
  }

  #ownerKey(partition: number): string {
    return `${this.#plan.key}:${partition}:owner`;
  }
}
