import type { Redis } from "ioredis";
import type { DestinationWriter } from "../contract/destination.js";
import { connect, disconnect } from "./connect.js";
import type { RedisStreamSettings } from "./redis-options.js";
import { encodeEntry } from "./stream-entries.js";

/**
 * Writes batches to a stream: one pipelined `XADD` per item (`MAXLEN ~` when set), sent
 * together, resolving once Redis has answered them all.
 */
export class StreamPublisher implements DestinationWriter<unknown> {
  readonly #settings: RedisStreamSettings;
  readonly #client: Redis;

  constructor(settings: RedisStreamSettings) {
    this.#settings = settings;
    this.#client = connect(settings, "publisher");
  }

  async write(values: readonly unknown[]): Promise<void> {
    const { key, maxLen } = this.#settings;
    const trim = maxLen === undefined ? [] : ["MAXLEN", "~", String(maxLen)];
    const pipeline = this.#client.pipeline();
    for (const value of values) pipeline.call("XADD", key, ...trim, "*", ...encodeEntry(value));
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0];
  }

  async close(): Promise<void> {
    await disconnect(this.#client);
  }
}
