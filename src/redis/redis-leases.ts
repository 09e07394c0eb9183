import type { Redis } from "ioredis";
import type { LeaseStore } from "../internal/partition-leases.js";

/** Renews a lease only if this consumer still holds it. */
const RENEW = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;
/** Gives a lease up only if this consumer still holds it. */
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

/**
 * The partition leases of the stream `key` in Redis: partition `i`'s lease is the key
 * `<key>:<i>:owner` (`SET NX PX`, renewed and released by a script only by its holder), and
 * the workers' heartbeats are the sorted set `<key>:workers`, scored by time.
 */
export class RedisLeases implements LeaseStore {
  readonly #client: Redis;
  readonly #key: string;
  readonly #consumer: string;
  readonly #leaseMs: number;

  constructor(client: Redis, key: string, consumer: string, leaseMs: number) {
    this.#client = client;
    this.#key = key;
    this.#consumer = consumer;
    this.#leaseMs = leaseMs;
  }

  async beat(): Promise<number> {
    const workers = `${this.#key}:workers`;
    const now = Date.now();
    await this.#client.zadd(workers, now, this.#consumer);
    await this.#client.zremrangebyscore(workers, "-inf", now - this.#leaseMs);
    return await this.#client.zcard(workers);
  }

  async take(partition: number): Promise<boolean> {
    const owner = this.#ownerKey(partition);
    return (await this.#client.set(owner, this.#consumer, "PX", this.#leaseMs, "NX")) === "OK";
  }

  async renew(partition: number): Promise<boolean> {
    const owner = this.#ownerKey(partition);
    return (await this.#client.eval(RENEW, 1, owner, this.#consumer, this.#leaseMs)) !== 0;
  }

  async release(partition: number): Promise<void> {
    await this.#client.eval(RELEASE, 1, this.#ownerKey(partition), this.#consumer);
  }

  async leave(): Promise<void> {
    await this.#client.zrem(`${this.#key}:workers`, this.#consumer);
  }

  #ownerKey(partition: number): string {
    return `${this.#key}:${partition}:owner`;
  }
}
