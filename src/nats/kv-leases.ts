import { hostname } from "node:os";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { LeaseStore } from "../internal/partition-leases.js";

/**
 * The partition leases of a partitioned JetStream source in a KV bucket whose entries lapse
 * after the lease time (the bucket's `ttl`): partition `i`'s lease is the key `p.<i>`, taken
 * with `create` (only if absent), renewed with `update` at the revision this worker wrote
 * last (so only by its holder) and released with a `delete` at that revision; the workers'
 * heartbeats are the keys `w.<worker>`.
 */
export class KvLeases implements LeaseStore {
  /** This worker's name among the bucket's workers. */
  readonly worker = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly #kv: KV;
  readonly #encoded: Uint8Array;
  /** The revision of each lease this worker holds. */
  readonly #revisions = new Map<number, number>();

  private constructor(kv: KV) {
    this.#kv = kv;
    this.#encoded = new TextEncoder().encode(this.worker);
  }

  /** The leases of `stream`'s durable `durable`, lasting `leaseMs` unless renewed. */
  static async open(
    connection: NatsConnection,
    stream: string,
    durable: string,
    leaseMs: number,
  ): Promise<KvLeases> {
    const bucket = `sluice-leases-${stream}-${durable}`.replace(/[^A-Za-z0-9_-]/g, "_");
    const kvm = new Kvm(connection);
    let kv: KV;
    try {
      kv = await kvm.create(bucket, { ttl: leaseMs, history: 1 });
    } catch {
      // Made before with another lease time: the leases still lapse, at that time.
      kv = await kvm.open(bucket);
    }
    return new KvLeases(kv);
  }

  async beat(): Promise<number> {
    await this.#kv.put(`w.${this.worker}`, this.#encoded);
    let live = 0;
    for await (const key of await this.#kv.keys("w.*")) if (key !== "") live++;
    return live;
  }

  async take(partition: number): Promise<boolean> {
    try {
      this.#revisions.set(partition, await this.#kv.create(`p.${partition}`, this.#encoded));
      return true;
    } catch {
      return false;
    }
  }

  async renew(partition: number): Promise<boolean> {
    const revision = this.#revisions.get(partition);
    if (revision === undefined) return false;
    try {
      this.#revisions.set(
        partition,
        await this.#kv.update(`p.${partition}`, this.#encoded, revision),
      );
      return true;
    } catch {
      this.#revisions.delete(partition);
      return false;
    }
  }

  async release(partition: number): Promise<void> {
    const revision = this.#revisions.get(partition);
    if (revision === undefined) return;
    this.#revisions.delete(partition);
    await this.#kv.delete(`p.${partition}`, { previousSeq: revision }).catch(() => {});
  }

  async leave(): Promise<void> {
    await this.#kv.delete(`w.${this.worker}`).catch(() => {});
  }
}
