import type { Redis } from "ioredis";
import type { Delivery } from "../contract/acknowledged.js";
import { connect, disconnect } from "./connect.js";
import type { RedisStreamSettings } from "./redis-options.js";
import { decodeEntry, type RawEntry, rawData } from "./stream-entries.js";

/** How long to wait before trying a read again after the connection failed. */
const RETRY_READ_MS = 250;
/** Ids per XACK / XCLAIM command. */
const IDS_PER_COMMAND = 1_000;

/**
 * One run's consumer in a Redis Streams consumer group. It reads entries only as fast as the
 * run pulls them (`XREADGROUP … COUNT`, so the broker holds what the pipeline has no room
 * for), first claiming entries other consumers left idle past `claimIdle` (`XAUTOCLAIM`, the
 * visibility timeout). It renews the entries it holds every third of `claimIdle` so a long
 * item keeps its lease, acks in batches (`XACK`), and on a nack either lets the entry be
 * claimed again after `retryDelay` or, once it was delivered `maxDeliveries` times, moves it
 * to the dead-letter stream with its error. Two connections: a blocking reader, and one for
 * everything else, which outlives the reads until the run has settled (acks come later).
 */
export class StreamConsumer implements AsyncIterable<Delivery<unknown>> {
  readonly #settings: RedisStreamSettings;
  readonly #signal: AbortSignal;
  readonly #commands: Redis;
  #reader: Redis | undefined;
  /** Entries delivered and not yet acked or nacked: id → fields (for a dead letter). */
  readonly #held = new Map<string, string[] | null>();
  #acks: string[] = [];
  #ackScheduled = false;
  readonly #nacks = new Set<Promise<void>>();
  #renewTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #groupPending = 0;
  #groupLag = 0;
  readonly #counts = { delivered: 0, acked: 0, nacked: 0, deadLettered: 0, reclaimed: 0 };

  /** Unacked entries this consumer holds at most: the pipeline's capacity. */
  readonly #capacity: number;

  constructor(settings: RedisStreamSettings, signal: AbortSignal, capacity = Infinity) {
    this.#settings = settings;
    this.#signal = signal;
    this.#capacity = Math.max(1, capacity);
    this.#commands = connect(settings, "commands");
    // A blocking read would hold a cancelled run for up to `block`: cut it short.
    signal.addEventListener("abort", () => this.#reader?.disconnect(), { once: true });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Delivery<unknown>> {
    const { key, group, consumer, count, blockMs, claimIdleMs, retryDelayMs } = this.#settings;
    const reader = connect(this.#settings, "reader");
    this.#reader = reader;
    try {
      await this.#ensureGroup();
      this.#renewTimer = setInterval(() => void this.#renew(), Math.max(1, claimIdleMs / 3));
      this.#renewTimer.unref();
      let claimCursor = "0-0";
      let nextSweep = 0;
      while (!this.#signal.aborted) {
        let entries: RawEntry[];
        try {
          if (Date.now() >= nextSweep) {
            // Entries idle past claimIdle: their consumer died, or a nack let them go.
            const [cursor, claimed, deleted] = (await this.#commands.call(
              "XAUTOCLAIM",
              key,
              group!,
              consumer,
              claimIdleMs,
              claimCursor,
              "COUNT",
              this.#room(count),
            )) as [string, RawEntry[], string[]];
            claimCursor = cursor;
            if (cursor === "0-0") nextSweep = Date.now() + retryDelayMs;
            for (const id of deleted ?? []) this.#queueAck(id);
            this.#counts.reclaimed += claimed.length;
            entries = claimed;
          } else {
            entries = [];
          }
          if (entries.length === 0) {
            const reply = (await reader.call(
              "XREADGROUP",
              "GROUP",
              group!,
              consumer,
              "COUNT",
              this.#room(count),
              "BLOCK",
              blockMs,
              "STREAMS",
              key,
              ">",
            )) as [string, RawEntry[]][] | null;
            entries = reply?.[0]?.[1] ?? [];
          }
        } catch (error) {
          if (this.#signal.aborted) return;
          if (isNoGroup(error)) {
            // The stream or its group is gone (a broker restarted without its data).
            await this.#ensureGroup();
            continue;
          }
          if (isReplyError(error)) throw error;
          // The connection dropped: ioredis reconnects; read again shortly.
          await sleep(RETRY_READ_MS);
          continue;
        }
        for (const entry of entries) {
          const delivery = this.#deliver(entry);
          if (delivery !== undefined) yield delivery;
        }
      }
    } finally {
      this.#reader = undefined;
      void disconnect(reader, 0);
    }
  }

  /** Entries to ask for: `count`, or fewer when that would hold more than the capacity. */
  #room(count: number): number {
    return Math.max(1, Math.min(count, this.#capacity - this.#held.size));
  }

  /** What the run's summary shows of this consumer. */
  stats(): Readonly<Record<string, number>> {
    return {
      ...this.#counts,
      held: this.#held.size,
      groupPending: this.#groupPending,
      groupLag: this.#groupLag,
    };
  }

  /** The run has settled: flush the acks, finish the nacks, let go of the connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#renewTimer);
    this.#reader?.disconnect();
    try {
      await this.#flushAcks();
      await Promise.all(this.#nacks);
    } finally {
      await disconnect(this.#commands);
    }
  }

  #deliver(entry: RawEntry): Delivery<unknown> | undefined {
    const [id, fields] = entry;
    let value: unknown;
    try {
      value = decodeEntry(entry);
    } catch (error) {
      // Nothing to process: straight to the dead letters.
      this.#held.set(id, fields);
      this.#track(this.#deadLetter(id, error, 1));
      return undefined;
    }
    this.#held.set(id, fields);
    this.#counts.delivered++;
    return {
      value,
      ack: () => {
        if (this.#held.delete(id)) {
          this.#counts.acked++;
          this.#queueAck(id);
        }
      },
      nack: (error: unknown) => {
        if (this.#held.has(id)) {
          this.#counts.nacked++;
          this.#track(this.#nack(id, error));
        }
      },
    };
  }

  #queueAck(id: string): void {
    this.#acks.push(id);
    if (this.#ackScheduled) return;
    this.#ackScheduled = true;
    // One XACK for every ack of this turn of the event loop.
    setImmediate(() => void this.#flushAcks());
  }

  async #flushAcks(): Promise<void> {
    this.#ackScheduled = false;
    const ids = this.#acks;
    this.#acks = [];
    const { key, group } = this.#settings;
    for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) {
      try {
        await this.#commands.call("XACK", key, group!, ...ids.slice(i, i + IDS_PER_COMMAND));
      } catch {
        // Not acked: the entries stay pending and come again (at-least-once).
      }
    }
  }

  /** A nacked entry: dead-lettered after `maxDeliveries`, else free to come again soon. */
  async #nack(id: string, error: unknown): Promise<void> {
    const { key, group, consumer, claimIdleMs, retryDelayMs, maxDeliveries } = this.#settings;
    try {
      const pending = (await this.#commands.call("XPENDING", key, group!, id, id, 1)) as [
        string,
        string,
        number,
        number,
      ][];
      const deliveries = pending[0]?.[3] ?? 1;
      if (deliveries >= maxDeliveries) {
        await this.#deadLetter(id, error, deliveries);
        return;
      }
      // Idle as if held for claimIdle − retryDelay: any consumer's sweep claims it then.
      await this.#commands.call(
        "XCLAIM",
        key,
        group!,
        consumer,
        0,
        id,
        "IDLE",
        claimIdleMs - retryDelayMs,
        "JUSTID",
      );
    } catch {
      // Left pending as it is: claimed again after claimIdle.
    } finally {
      this.#held.delete(id);
    }
  }

  async #deadLetter(id: string, error: unknown, deliveries: number): Promise<void> {
    const { key, group, deadLetterKey } = this.#settings;
    const fields = this.#held.get(id) ?? null;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    try {
      await this.#commands
        .multi()
        .call(
          "XADD",
          deadLetterKey,
          "*",
          "id",
          id,
          "stream",
          key,
          "group",
          group!,
          "deliveries",
          String(deliveries),
          "error",
          message,
          "data",
          rawData(fields),
        )
        .call("XACK", key, group!, id)
        .exec();
      this.#counts.deadLettered++;
    } finally {
      this.#held.delete(id);
    }
  }

  #track(pending: Promise<void>): void {
    const tracked = pending.catch(() => {});
    this.#nacks.add(tracked);
    void tracked.then(() => this.#nacks.delete(tracked));
  }

  /** Resets the idle time of the entries held, so no other consumer claims them. */
  async #renew(): Promise<void> {
    const { key, group, consumer } = this.#settings;
    try {
      const info = (await this.#commands.call("XINFO", "GROUPS", key)) as unknown[][];
      for (const fields of info) {
        const entry = fieldsOf(fields);
        if (entry["name"] === group) {
          this.#groupPending = Number(entry["pending"] ?? 0);
          this.#groupLag = Number(entry["lag"] ?? 0);
        }
      }
      const ids = [...this.#held.keys()];
      for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) {
        await this.#commands.call(
          "XCLAIM",
          key,
          group!,
          consumer,
          0,
          ...ids.slice(i, i + IDS_PER_COMMAND),
          "JUSTID",
        );
      }
    } catch {
      // Tried again at the next tick; an entry whose lease lapsed may be processed twice.
    }
  }

  async #ensureGroup(): Promise<void> {
    const { key, group, start } = this.#settings;
    try {
      await this.#commands.call(
        "XGROUP",
        "CREATE",
        key,
        group!,
        start === "start" ? "0" : "$",
        "MKSTREAM",
      );
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("BUSYGROUP")) throw error;
    }
  }
}

function fieldsOf(flat: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1];
  return record;
}

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

function isNoGroup(error: unknown): boolean {
  return isReplyError(error) && (error as Error).message.startsWith("NOGROUP");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
