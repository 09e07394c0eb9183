import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { Duration } from "../internal/duration.js";
import {
  checkOptionsObject,
  durationOption,
  integerOption,
  invalid,
} from "../internal/validate.js";

/** Options of `redisStream()`. */
export interface RedisStreamOptions {
  /** The stream's key. */
  readonly key: string;
  /** As a source: the consumer group (created at the stream's start if missing). */
  readonly group?: string;
  /** As a source: this consumer's name in the group. Default `<host>-<pid>-<random>`. */
  readonly consumer?: string;
  /** Where to connect. Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /**
   * A client of yours to copy the connection settings of (`client.duplicate()`): sluice opens
   * its own connections from it and closes them, never yours.
   */
  readonly client?: Redis;
  /** Entries per read, at most: integer >= 1. Default 100. */
  readonly count?: number;
  /** How long one read waits for new entries. Default 1 s. */
  readonly block?: Duration;
  /**
   * The visibility timeout: an entry a consumer holds this long without acking is claimed
   * by another (`XAUTOCLAIM`). The owner renews the entries it holds at a third of it, so a
   * long item keeps its lease. Default 30 s.
   */
  readonly claimIdle?: Duration;
  /** Deliveries of one entry before it goes to the dead-letter stream: integer >= 1. Default 5. */
  readonly maxDeliveries?: number;
  /** Where entries go after `maxDeliveries` (with their error). Default `<key>:dead`. */
  readonly deadLetterKey?: string;
  /** How soon a nacked entry may be delivered again. Default 1 s. */
  readonly retryDelay?: Duration;
  /** As a destination: trim the stream to about this many entries (`MAXLEN ~`). */
  readonly maxLen?: number;
  /** Where a new group starts reading: the stream's first entry, or only new ones. Default "start". */
  readonly start?: "start" | "new";
  /**
   * Split the stream into this many streams, `<key>:0` … `<key>:<n − 1>`: a destination
   * writes each item to the partition of its key (`.to(…, { key: item => k })`), and a source
   * reads each partition from one worker at a time (leased for `claimIdle`, renewed), so the
   * items of one key reach one worker, in order. Integer >= 1. Default 1: one stream, `key`.
   */
  readonly partitions?: number;
}

/** `redisStream()`'s options, checked. */
export interface RedisStreamSettings {
  readonly key: string;
  readonly group: string | undefined;
  readonly consumer: string;
  readonly url: string;
  readonly client: Redis | undefined;
  readonly count: number;
  readonly blockMs: number;
  readonly claimIdleMs: number;
  readonly maxDeliveries: number;
  readonly deadLetterKey: string;
  readonly retryDelayMs: number;
  readonly maxLen: number | undefined;
  readonly start: "start" | "new";
  readonly partitions: number;
}

const KEYS = [
  "key",
  "group",
  "consumer",
  "url",
  "client",
  "count",
  "block",
  "claimIdle",
  "maxDeliveries",
  "deadLetterKey",
  "retryDelay",
  "maxLen",
  "start",
  "partitions",
] as const;

/** Checks `redisStream(options)`. */
export function redisStreamSettings(options: unknown): RedisStreamSettings {
  if (options === undefined) {
    throw invalid("redisStream", "an options object with `key`", options);
  }
  const raw = checkOptionsObject("redisStream", options, KEYS);
  const key = name("redisStream.key", raw.key);
  if (key === undefined) throw invalid("redisStream.key", "a non-empty string", raw.key);
  const claimIdleMs = durationOption("redisStream.claimIdle", raw.claimIdle, 30_000);
  const retryDelayMs = durationOption("redisStream.retryDelay", raw.retryDelay, 1_000);
  if (retryDelayMs >= claimIdleMs) {
    throw invalid(
      "redisStream.retryDelay",
      `shorter than \`claimIdle\` (${claimIdleMs} ms)`,
      raw.retryDelay,
    );
  }
  const client = raw.client;
  if (
    client !== undefined &&
    (typeof client !== "object" ||
      client === null ||
      typeof (client as { duplicate?: unknown }).duplicate !== "function")
  ) {
    throw invalid("redisStream.client", "an ioredis client", client);
  }
  const start = raw.start ?? "start";
  if (start !== "start" && start !== "new") {
    throw invalid("redisStream.start", '"start" or "new"', start);
  }
  return {
    key,
    group: name("redisStream.group", raw.group),
    consumer:
      name("redisStream.consumer", raw.consumer) ??
      `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    url: name("redisStream.url", raw.url) ?? "redis://127.0.0.1:6379",
    client: client as Redis | undefined,
    count: integerOption("redisStream.count", raw.count, 100, 1),
    blockMs: durationOption("redisStream.block", raw.block, 1_000),
    claimIdleMs,
    maxDeliveries: integerOption("redisStream.maxDeliveries", raw.maxDeliveries, 5, 1),
    deadLetterKey: name("redisStream.deadLetterKey", raw.deadLetterKey) ?? `${key}:dead`,
    retryDelayMs,
    maxLen:
      raw.maxLen === undefined ? undefined : integerOption("redisStream.maxLen", raw.maxLen, 0, 1),
    start,
    partitions: integerOption("redisStream.partitions", raw.partitions, 1, 1),
  };
}

function name(path: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw invalid(path, "a non-empty string", value);
  return value;
}
