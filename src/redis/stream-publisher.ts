import type { Redis } from "ioredis";
import type { DestinationWriter } from "../contract/destination.js";
import { connect, disconnect } from "./connect.js";
import type { RedisStreamSettings } from "./redis-options.js";
import { partitionOf } from "../internal/partition-hash.js";
import { encodeEntry } from "./stream-entries.js";

/**
 * Writes batches to a stream: one pipelined `XADD` per item (`MAXLEN ~` when set), sent
 * together, resolving once Redis has answered them all. A partitioned stream's item goes to
 * `<key>:<partition>`, its partition the hash of its key (`partitionOf`).
 */
export class StreamPublisher implements DestinationWriter<unknown> {
  readonly #settings: RedisStreamSettings;
  readonly #client: Redis;
  readonly #keyOf: ((item: unknown) => unknown) | undefined;

  constructor(settings: RedisStreamSettings, keyOf?: (item: unknown) => unknown) {
    this.#settings = settings;
    this.#keyOf = keyOf;
    this.#client = connect(settings, "publisher");
  }

  async write(values: readonly unknown[]): Promise<void> {
    const { key, maxLen, partitions } = this.#settings;
    const trim = maxLen === undefined ? [] : ["MAXLEN", "~", String(maxLen)];
    const keyOf = this.#keyOf;
    const pipeline = this.#client.pipeline();
    for (const value of values) {
      const stream =
        partitions > 1 && keyOf !== undefined
          ? `${key}:${partitionOf(keyOf(value), partitions)}`
          : key;
      pipeline.call("XADD", stream, ...trim, "*", ...encodeEntry(value));
    }
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0];
  }

  async close(): Promise<void> {
    await disconnect(this.#client);
  }
}
