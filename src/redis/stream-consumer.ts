import type { Redis } from "ioredis";
import type { Delivery } from "../contract/acknowledged.js";
import { connect, disconnect } from "./connect.js";
import { PartitionLeases } from "../internal/partition-leases.js";
import { RedisLeases } from "./redis-leases.js";
import type { RedisStreamSettings } from "./redis-options.js";
import { decodeEntry, type RawEntry, rawData } from "./stream-entries.js";

/** How long to wait before trying a read again after the connection failed. */
const RETRY_READ_MS = 250;
/** Ids per XACK / XCLAIM command. */
const IDS_PER_COMMAND = 1_000;

/** An entry delivered and not yet acked or nacked. */
interface HeldEntry {
  /** The stream it came from (a partition's, when partitioned). */
  readonly stream: string;
  readonly id: string;
  readonly fields: string[] | null;
  /** Its partition, or -1. */
  readonly partition: number;
}

/**
 * One run's consumer in a Redis Streams consumer group. It reads entries only as fast as the
 * run pulls them (`XREADGROUP … COUNT`, never more than the pipeline holds, so the broker keeps
 * the backlog), first claiming entries other consumers left idle past `claimIdle`
 * (`XAUTOCLAIM`, the visibility timeout). It renews the entries it holds every third of
 * `claimIdle` so a long item keeps its lease, acks in batches (`XACK`), and on a nack either
 * lets the entry be claimed again after `retryDelay` or, once it was delivered
 * `maxDeliveries` times, moves it to the dead-letter stream with its error. With
 * `partitions`, it reads only the partitions it leases (see {@link PartitionLeases}), and a
 * partition it just took is read from its previous owner's pending entries first. Two
 * connections: a blocking reader, and one for everything else, which outlives the reads
 * until the run has settled (acks come later).
 */
export class StreamConsumer implements AsyncIterable<Delivery<unknown>> {
  readonly #settings: RedisStreamSettings;
  readonly #signal: AbortSignal;
  readonly #commands: Redis;
  #reader: Redis | undefined;
  readonly #leases: PartitionLeases | undefined;
  /** Entries delivered and not yet acked or nacked, by stream and id. */
  readonly #held = new Map<string, HeldEntry>();
  /** Held entries per partition (partitioned streams only). */
  readonly #heldPerPartition = new Map<number, number>();
  /** Ids to XACK, by stream. */
  #acks = new Map<string, string[]>();
  #ackScheduled = false;
  readonly #pending = new Set<Promise<void>>();
  readonly #groups = new Set<string>();
  /** Where each partition's takeover scan of pending entries has got to. */
  readonly #takeOverCursors = new Map<number, string>();
  #timer: NodeJS.Timeout | undefined;
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
    this.#leases =
      settings.partitions > 1
        ? new PartitionLeases(
            new RedisLeases(this.#commands, settings.key, settings.consumer, settings.claimIdleMs),
            settings.partitions,
            settings.consumer,
          )
        : undefined;
    // A blocking read would hold a cancelled run for up to `block`: cut it short.
    signal.addEventListener("abort", () => this.#reader?.disconnect(), { once: true });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Delivery<unknown>> {
    const { claimIdleMs, retryDelayMs, blockMs } = this.#settings;
    const reader = connect(this.#settings, "reader");
    this.#reader = reader;
    try {
      if (this.#leases === undefined) await this.#ensureGroup(this.#settings.key);
      else await this.#leases.tick((partition) => this.#heldIn(partition));
      this.#timer = setInterval(() => void this.#tick(), Math.max(1, claimIdleMs / 3));
      this.#timer.unref();
      const cursors = new Map<string, string>();
      let nextSweep = 0;
      while (!this.#signal.aborted) {
        let entries: [stream: string, RawEntry][];
        try {
          const streams = await this.#streams();
          if (streams.length === 0) {
            // No partition leased yet (others hold their share): look again shortly.
            await sleep(Math.min(blockMs, claimIdleMs / 3));
            continue;
          }
          entries = await this.#takeOver();
          if (entries.length === 0 && Date.now() >= nextSweep) {
            // Entries idle past claimIdle: their consumer died, or a nack let them go.
            entries = await this.#sweep(streams, cursors, claimIdleMs);
            if ([...cursors.values()].every((cursor) => cursor === "0-0")) {
              nextSweep = Date.now() + retryDelayMs;
            }
          }
          if (entries.length === 0) entries = await this.#read(reader, streams);
        } catch (error) {
          if (this.#signal.aborted) return;
          if (isNoGroup(error)) {
            // The stream or its group is gone (a broker restarted without its data).
            this.#groups.clear();
            continue;
          }
          if (isReplyError(error)) throw error;
          // The connection dropped: ioredis reconnects; read again shortly.
          await sleep(RETRY_READ_MS);
          continue;
        }
        for (const [stream, entry] of entries) {
          const delivery = this.#deliver(stream, entry);
          if (delivery !== undefined) yield delivery;
        }
      }
    } finally {
      this.#reader = undefined;
      void disconnect(reader, 0);
    }
  }

  /** What the run's summary shows of this consumer. */
  stats(): Readonly<Record<string, number>> {
    const stats: Record<string, number> = {
      ...this.#counts,
      held: this.#held.size,
      groupPending: this.#groupPending,
      groupLag: this.#groupLag,
    };
    if (this.#leases !== undefined) stats["partitions"] = this.#leases.owned.size;
    return stats;
  }

  /** The run has settled: flush the acks, finish the nacks, let go of leases and connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#reader?.disconnect();
    try {
      await this.#flushAcks();
      await Promise.all(this.#pending);
      await this.#leases?.releaseAll().catch(() => {});
    } finally {
      await disconnect(this.#commands);
    }
  }

  /** The streams to read now, their groups made: the key, or the partitions leased. */
  async #streams(): Promise<string[]> {
    const leases = this.#leases;
    const streams =
      leases === undefined
        ? [this.#settings.key]
        : [...leases.owned].sort((a, b) => a - b).map((p) => this.#streamOf(p));
    for (const stream of streams) {
      if (!this.#groups.has(stream)) await this.#ensureGroup(stream);
    }
    return streams;
  }

  /**
   * A partition just leased: its previous owner's pending entries (claimed at once, whatever
   * their idle time: the lease says that owner is gone), oldest first, before any new one.
   */
  async #takeOver(): Promise<[string, RawEntry][]> {
    const leases = this.#leases;
    if (leases === undefined || leases.acquired.size === 0) return [];
    const { group, consumer, count } = this.#settings;
    for (const partition of leases.acquired) {
      const stream = this.#streamOf(partition);
      if (!leases.owned.has(partition)) {
        leases.acquired.delete(partition);
        continue;
      }
      // Idle 0: every pending entry, one page at a time from where the scan got to (a second
      // scan from the start would claim the ones just delivered here again).
      const [cursor, claimed] = (await this.#commands.call(
        "XAUTOCLAIM",
        stream,
        group!,
        consumer,
        0,
        this.#takeOverCursors.get(partition) ?? "0-0",
        "COUNT",
        this.#room(count),
      )) as [string, RawEntry[]];
      if (cursor === "0-0") {
        leases.acquired.delete(partition);
        this.#takeOverCursors.delete(partition);
      } else {
        this.#takeOverCursors.set(partition, cursor);
      }
      if (claimed.length > 0) {
        this.#counts.reclaimed += claimed.length;
        return claimed.map((entry) => [stream, entry]);
      }
    }
    return [];
  }

  /** Entries idle past `minIdle` in `streams`, a page of each in turn. */
  async #sweep(
    streams: readonly string[],
    cursors: Map<string, string>,
    minIdle: number,
  ): Promise<[string, RawEntry][]> {
    const { group, consumer, count } = this.#settings;
    for (const stream of streams) {
      const [cursor, claimed, deleted] = (await this.#commands.call(
        "XAUTOCLAIM",
        stream,
        group!,
        consumer,
        minIdle,
        cursors.get(stream) ?? "0-0",
        "COUNT",
        this.#room(count),
      )) as [string, RawEntry[], string[]];
      cursors.set(stream, cursor);
      for (const id of deleted ?? []) this.#queueAck(stream, id);
      if (claimed.length > 0) {
        this.#counts.reclaimed += claimed.length;
        return claimed.map((entry) => [stream, entry]);
      }
    }
    return [];
  }

  /** New entries of `streams` (`XREADGROUP … >`), waiting up to `block` for some. */
  async #read(reader: Redis, streams: readonly string[]): Promise<[string, RawEntry][]> {
    const { group, consumer, count, blockMs } = this.#settings;
    // COUNT is per stream: shared out so that all of them together stay within the room.
    const each = Math.max(1, Math.floor(this.#room(count) / streams.length));
    const reply = (await reader.call(
      "XREADGROUP",
      "GROUP",
      group!,
      consumer,
      "COUNT",
      each,
      "BLOCK",
      blockMs,
      "STREAMS",
      ...streams,
      ...streams.map(() => ">"),
    )) as [string, RawEntry[]][] | null;
    const entries: [string, RawEntry][] = [];
    for (const [stream, items] of reply ?? []) {
      for (const entry of items) entries.push([stream, entry]);
    }
    return entries;
  }

  /** Entries to ask for: `count`, or fewer when that would hold more than the capacity. */
  #room(count: number): number {
    return Math.max(1, Math.min(count, this.#capacity - this.#held.size));
  }

  #deliver(stream: string, entry: RawEntry): Delivery<unknown> | undefined {
    const [id, fields] = entry;
    const held: HeldEntry = { stream, id, fields, partition: this.#partitionOf(stream) };
    const handle = `${stream}\n${id}`;
    let value: unknown;
    try {
      value = decodeEntry(entry);
    } catch (error) {
      // Nothing to process: straight to the dead letters.
      this.#hold(handle, held);
      this.#track(this.#deadLetter(handle, error, 1));
      return undefined;
    }
    this.#hold(handle, held);
    this.#counts.delivered++;
    return {
      value,
      ack: () => {
        if (!this.#release(handle)) return;
        this.#counts.acked++;
        this.#queueAck(stream, id);
      },
      nack: (error: unknown) => {
        if (!this.#held.has(handle)) return;
        this.#counts.nacked++;
        this.#track(this.#nack(handle, error));
      },
    };
  }

  #hold(handle: string, entry: HeldEntry): void {
    this.#held.set(handle, entry);
    if (entry.partition >= 0) {
      this.#heldPerPartition.set(entry.partition, this.#heldIn(entry.partition) + 1);
    }
  }

  /** Forgets a held entry; false if it was not held (acked or nacked already). */
  #release(handle: string): boolean {
    const entry = this.#held.get(handle);
    if (entry === undefined) return false;
    this.#held.delete(handle);
    if (entry.partition >= 0) {
      this.#heldPerPartition.set(entry.partition, this.#heldIn(entry.partition) - 1);
    }
    return true;
  }

  #heldIn(partition: number): number {
    return this.#heldPerPartition.get(partition) ?? 0;
  }

  /** The stream key of partition `partition`. */
  #streamOf(partition: number): string {
    return `${this.#settings.key}:${partition}`;
  }

  #partitionOf(stream: string): number {
    if (this.#leases === undefined) return -1;
    return Number(stream.slice(stream.lastIndexOf(":") + 1));
  }

  #queueAck(stream: string, id: string): void {
    const ids = this.#acks.get(stream);
    if (ids === undefined) this.#acks.set(stream, [id]);
    else ids.push(id);
    if (this.#ackScheduled) return;
    this.#ackScheduled = true;
    // One XACK per stream for every ack of this turn of the event loop.
    setImmediate(() => void this.#flushAcks());
  }

  async #flushAcks(): Promise<void> {
    this.#ackScheduled = false;
    const acks = this.#acks;
    this.#acks = new Map();
    const group = this.#settings.group!;
    for (const [stream, ids] of acks) {
      for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) {
        try {
          await this.#commands.call("XACK", stream, group, ...ids.slice(i, i + IDS_PER_COMMAND));
        } catch {
          // Not acked: the entries stay pending and come again (at-least-once).
        }
      }
    }
  }

  /** A nacked entry: dead-lettered after `maxDeliveries`, else free to come again soon. */
  async #nack(handle: string, error: unknown): Promise<void> {
    const entry = this.#held.get(handle)!;
    const { group, consumer, claimIdleMs, retryDelayMs, maxDeliveries } = this.#settings;
    try {
      const pending = (await this.#commands.call(
        "XPENDING",
        entry.stream,
        group!,
        entry.id,
        entry.id,
        1,
      )) as [string, string, number, number][];
      const deliveries = pending[0]?.[3] ?? 1;
      if (deliveries >= maxDeliveries) {
        await this.#deadLetter(handle, error, deliveries);
        return;
      }
      // Idle as if held for claimIdle − retryDelay: any consumer's sweep claims it then.
      await this.#commands.call(
        "XCLAIM",
        entry.stream,
        group!,
        consumer,
        0,
        entry.id,
        "IDLE",
        claimIdleMs - retryDelayMs,
        "JUSTID",
      );
    } catch {
      // Left pending as it is: claimed again after claimIdle.
    } finally {
      this.#release(handle);
    }
  }

  async #deadLetter(handle: string, error: unknown, deliveries: number): Promise<void> {
    const entry = this.#held.get(handle)!;
    const { group, deadLetterKey } = this.#settings;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    try {
      await this.#commands
        .multi()
        .call(
          "XADD",
          deadLetterKey,
          "*",
          "id",
          entry.id,
          "stream",
          entry.stream,
          "group",
          group!,
          "deliveries",
          String(deliveries),
          "error",
          message,
          "data",
          rawData(entry.fields),
        )
        .call("XACK", entry.stream, group!, entry.id)
        .exec();
      this.#counts.deadLettered++;
    } finally {
      this.#release(handle);
    }
  }

  #track(pending: Promise<void>): void {
    const tracked = pending.catch(() => {});
    this.#pending.add(tracked);
    void tracked.then(() => this.#pending.delete(tracked));
  }

  /**
   * Every third of `claimIdle`: the partitions' leases, the held entries' leases (their idle
   * time reset, so no other consumer claims them) and the group's backlog for the stats.
   */
  async #tick(): Promise<void> {
    const { group, consumer } = this.#settings;
    try {
      await this.#leases?.tick((partition) => this.#heldIn(partition));
      let pending = 0;
      let lag = 0;
      const byStream = new Map<string, string[]>();
      for (const entry of this.#held.values()) {
        const ids = byStream.get(entry.stream);
        if (ids === undefined) byStream.set(entry.stream, [entry.id]);
        else ids.push(entry.id);
      }
      for (const stream of this.#groups) {
        const info = (await this.#commands.call("XINFO", "GROUPS", stream)) as unknown[][];
        for (const fields of info) {
          const record = fieldsOf(fields);
          if (record["name"] === group) {
            pending += Number(record["pending"] ?? 0);
            lag += Number(record["lag"] ?? 0);
          }
        }
      }
      this.#groupPending = pending;
      this.#groupLag = lag;
      for (const [stream, ids] of byStream) {
        for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) {
          await this.#commands.call(
            "XCLAIM",
            stream,
            group!,
            consumer,
            0,
            ...ids.slice(i, i + IDS_PER_COMMAND),
            "JUSTID",
          );
        }
      }
    } catch {
      // Tried again at the next tick; an entry whose lease lapsed may be processed twice.
    }
  }

  async #ensureGroup(stream: string): Promise<void> {
    const { group, start } = this.#settings;
    try {
      await this.#commands.call(
        "XGROUP",
        "CREATE",
        stream,
        group!,
        start === "start" ? "0" : "$",
        "MKSTREAM",
      );
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("BUSYGROUP")) throw error;
    }
    this.#groups.add(stream);
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
