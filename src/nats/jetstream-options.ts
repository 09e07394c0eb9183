import type { Duration } from "../internal/duration.js";
import {
  checkOptionsObject,
  durationOption,
  integerOption,
  invalid,
} from "../internal/validate.js";

/** Options of `jetstream()`. */
export interface JetStreamOptions {
  /** The NATS servers. Default `"127.0.0.1:4222"`. */
  readonly servers?: string | readonly string[];
  /**
   * The stream. As a source it must exist or is created for `subject` (default
   * `<stream>.>`); as a destination it is created over `subject` when it does not exist.
   */
  readonly stream?: string;
  /** As a source: the durable pull consumer (created if missing, explicit acks). */
  readonly durable?: string;
  /** As a destination: the subject to publish to. As a source: a filter on the stream. */
  readonly subject?: string;
  /** Messages the server lets this consumer hold unacked (`max_ack_pending`). Default 1,000. */
  readonly maxAckPending?: number;
  /** Messages per pull, at most. Default 100. */
  readonly batch?: number;
  /**
   * The visibility timeout (`ack_wait`): a message held this long unacked is delivered again.
   * A held message's lease is renewed (`working()`) every third of it. Default 30 s.
   */
  readonly ackWait?: Duration;
  /** Deliveries of one message before it goes to the dead letters: integer >= 1. Default 5. */
  readonly maxDeliveries?: number;
  /** Where messages go after `maxDeliveries`, with their error. Default `<stream>.dead`. */
  readonly deadLetterSubject?: string;
  /** How soon a nacked message comes again (`nak(delay)`). Default 1 s. */
  readonly retryDelay?: Duration;
  /**
   * Split `subject` into this many subjects, `<subject>.0` … `<subject>.<n − 1>`: a
   * destination publishes each item to the partition of its key (`.to(…, { key: item => k })`),
   * and a source reads each partition through a durable of its own (`<durable>_p<i>`) from one
   * worker at a time (leased in the KV bucket `sluice-leases-<stream>-<durable>` for `ackWait`,
   * renewed), so the items of one key reach one worker, in order. Integer >= 1. Default 1.
   */
  readonly partitions?: number;
}

/** `jetstream()`'s options, checked. */
export interface JetStreamSettings {
  readonly servers: string[];
  readonly stream: string | undefined;
  readonly durable: string | undefined;
  readonly subject: string | undefined;
  readonly maxAckPending: number;
  readonly batch: number;
  readonly ackWaitMs: number;
  readonly maxDeliveries: number;
  readonly deadLetterSubject: string | undefined;
  readonly retryDelayMs: number;
  readonly partitions: number;
}

const KEYS = [
  "servers",
  "stream",
  "durable",
  "subject",
  "maxAckPending",
  "batch",
  "ackWait",
  "maxDeliveries",
  "deadLetterSubject",
  "retryDelay",
  "partitions",
] as const;

/** Checks `jetstream(options)`. */
export function jetStreamSettings(options: unknown): JetStreamSettings {
  if (options === undefined) {
    throw invalid("jetstream", "an options object with `stream` or `subject`", options);
  }
  const raw = checkOptionsObject("jetstream", options, KEYS);
  const stream = name("jetstream.stream", raw.stream);
  const subject = name("jetstream.subject", raw.subject);
  if (stream === undefined && subject === undefined) {
    throw invalid("jetstream", "an options object with `stream` or `subject`", options);
  }
  const servers = raw.servers ?? "127.0.0.1:4222";
  const list = typeof servers === "string" ? [servers] : servers;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((s) => typeof s === "string" && s !== "")
  ) {
    throw invalid("jetstream.servers", "a server address or a non-empty array of them", servers);
  }
  return {
    servers: [...(list as string[])],
    stream,
    durable: name("jetstream.durable", raw.durable),
    subject,
    maxAckPending: integerOption("jetstream.maxAckPending", raw.maxAckPending, 1_000, 1),
    batch: integerOption("jetstream.batch", raw.batch, 100, 1),
    ackWaitMs: durationOption("jetstream.ackWait", raw.ackWait, 30_000),
    maxDeliveries: integerOption("jetstream.maxDeliveries", raw.maxDeliveries, 5, 1),
    deadLetterSubject: name("jetstream.deadLetterSubject", raw.deadLetterSubject),
    retryDelayMs: durationOption("jetstream.retryDelay", raw.retryDelay, 1_000),
    partitions: integerOption("jetstream.partitions", raw.partitions, 1, 1),
  };
}

function name(path: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw invalid(path, "a non-empty string", value);
  return value;
}
