import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstream,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Delivery } from "../contract/acknowledged.js";
import { PartitionLeases } from "../internal/partition-leases.js";
import { connect, ensureStream, jetstreamManager, nanos } from "./connect.js";
import type { JetStreamSettings } from "./jetstream-options.js";
import { KvLeases } from "./kv-leases.js";
import { MessageSettler } from "./message-settler.js";

/** One durable's pulls: the stream's (partition −1) or one partition's. */
interface Reader {
  readonly partition: number;
  readonly durable: string;
  readonly messages: ConsumerMessages;
  readonly iterator: AsyncIterator<JsMsg>;
  /** The pull under way, if any. */
  next: Promise<Pulled> | undefined;
}

interface Pulled {
  readonly reader: Reader;
  readonly result: IteratorResult<JsMsg>;
}

/**
 * One run's durable pull consumer on a JetStream stream (explicit acks). It pulls `batch`
 * messages at a time as the run takes them; the server holds at most `maxAckPending`
 * unacked for the consumer, and redelivers one held past `ackWait` (the visibility
 * timeout) — so a held message's lease is renewed (`working()`) every third of it. A nack
 * asks for the message again after `retryDelay` (`nak(delay)`), or, once it was delivered
 * `maxDeliveries` times, publishes it to the dead-letter subject with its error and ends it
 * (`term()`). The connection outlives the pulls until the run has settled (acks come later).
 *
 * With `partitions`, it reads only the partitions it leases (see {@link PartitionLeases}),
 * each through a durable of its own. A partition taken over from a worker that left messages
 * unacked is read again from its ack floor (the durable made anew there), so those come
 * first and in order, not after newer ones as the server would redeliver them.
 */
export class JetStreamConsumer implements AsyncIterable<Delivery<unknown>> {
  readonly #settings: JetStreamSettings;
  readonly #signal: AbortSignal;
  #connection: NatsConnection | undefined;
  #manager: JetStreamManager | undefined;
  readonly #readers = new Map<number, Reader>();
  readonly #settler: MessageSettler;
  #leases: PartitionLeases | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #ticking = false;
  /** Wakes the read loop when the partitions leased may have changed. */
  #wake: () => void = () => {};
  #closed = false;
  #numPending = 0;
  #numAckPending = 0;
  #reclaimed = 0;
  /** Whose turn it is to be read first, of the partitions' readers. */
  #turn = 0;

  /** Messages pulled at once: `batch`, at most the pipeline's capacity. */
  readonly #pull: number;

  constructor(settings: JetStreamSettings, signal: AbortSignal, capacity = Infinity) {
    this.#settings = settings;
    this.#signal = signal;
    this.#pull = Math.max(1, Math.min(settings.batch, capacity));
    this.#settler = new MessageSettler(settings, () => this.#connection);
    signal.addEventListener(
      "abort",
      () => {
        for (const reader of this.#readers.values()) void reader.messages.close();
        this.#wake();
      },
      { once: true },
    );
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Delivery<unknown>> {
    const { stream, durable, ackWaitMs, partitions } = this.#settings;
    const connection = await connect(this.#settings, `consumer:${durable}`);
    this.#connection = connection;
    const manager = await jetstreamManager(connection);
    this.#manager = manager;
    await ensureStream(manager, stream!, [this.#streamSubject()]);
    if (partitions > 1) {
      const store = await KvLeases.open(connection, stream!, durable!, ackWaitMs);
      this.#leases = new PartitionLeases(store, partitions, store.worker);
      await this.#leases.tick((partition) => this.#settler.heldIn(partition));
    } else {
      this.#readers.set(-1, await this.#open(-1));
    }
    if (this.#signal.aborted) return;
    this.#leaseTimer = setInterval(() => void this.#tick(), Math.max(1, ackWaitMs / 3));
    this.#leaseTimer.unref();
    try {
      while (!this.#signal.aborted) {
        const pulled = await this.#pulled();
        if (pulled === undefined) continue;
        const { reader, result } = pulled;
        reader.next = undefined;
        if (result.done === true) {
          this.#readers.delete(reader.partition);
          // The stream's one durable stopped: so does the source. A partition's is reopened.
          if (reader.partition < 0) return;
          continue;
        }
        // A partition lost or given up meanwhile: its next owner reads the message again.
        if (reader.partition >= 0 && !this.#leases!.owned.has(reader.partition)) continue;
        const delivery = this.#settler.deliver(result.value, reader.partition);
        if (delivery !== undefined) yield delivery;
      }
    } finally {
      for (const reader of this.#readers.values()) void reader.messages.close();
      this.#readers.clear();
    }
  }

  /** What the run's summary shows of this consumer. */
  stats(): Readonly<Record<string, number>> {
    const stats: Record<string, number> = {
      ...this.#settler.counts,
      held: this.#settler.held,
      numPending: this.#numPending,
      numAckPending: this.#numAckPending,
    };
    if (this.#leases !== undefined) {
      stats["partitions"] = this.#leases.owned.size;
      stats["reclaimed"] = this.#reclaimed;
    }
    return stats;
  }

  /** The run has settled: finish the dead letters, flush the acks, close the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#leaseTimer);
    for (const reader of this.#readers.values()) await reader.messages.close();
    await this.#settler.settled();
    await this.#leases?.releaseAll().catch(() => {});
    await this.#connection?.drain().catch(() => this.#connection?.close());
  }

  /** The subjects the stream must hold: the partitions', or the filter, or all of it. */
  #streamSubject(): string {
    const { stream, subject, partitions } = this.#settings;
    if (partitions > 1) return `${subject}.*`;
    return subject ?? `${stream}.>`;
  }

  /**
   * The next message of any reader; `undefined` when the partitions leased may have changed
   * first (a tick), or when none is leased yet (others hold their share) and a tick came.
   */
  async #pulled(): Promise<Pulled | undefined> {
    const leases = this.#leases;
    if (leases === undefined) return await this.#nextOf(this.#readers.get(-1)!);
    await this.#follow(leases);
    const woken = new Promise<undefined>((resolve) => (this.#wake = () => resolve(undefined)));
    if (this.#readers.size === 0) return await woken;
    // The readers in turn, from the one after the last read: a race over pulls already
    // resolved is won by the first, and a partition whose turn never came would hold its
    // messages past their ack wait.
    const readers = [...this.#readers.values()];
    const first = this.#turn++ % readers.length;
    const pulls: Promise<Pulled | undefined>[] = [];
    for (let i = 0; i < readers.length; i++) {
      pulls.push(this.#nextOf(readers[(first + i) % readers.length]!));
    }
    pulls.push(woken);
    return await Promise.race(pulls);
  }

  /** `reader`'s pull under way, started if none is. */
  #nextOf(reader: Reader): Promise<Pulled> {
    return (reader.next ??= reader.iterator.next().then((result) => ({ reader, result })));
  }

  /** Opens readers on the partitions leased and closes those on partitions no longer read. */
  async #follow(leases: PartitionLeases): Promise<void> {
    for (const [partition, reader] of this.#readers) {
      if (!leases.owned.has(partition)) {
        this.#readers.delete(partition);
        void reader.messages.close();
      }
    }
    for (const partition of leases.owned) {
      if (this.#readers.has(partition) || this.#signal.aborted) continue;
      try {
        this.#readers.set(partition, await this.#open(partition));
      } catch {
        // The broker is away: try again at the next tick.
      }
    }
  }

  /**
   * Pulls from the stream's durable, or partition `partition`'s, made if missing. A
   * partition just leased whose durable holds messages unacked (its last owner died or
   * stalled) is made anew from its ack floor, so they are read again first, in order.
   */
  async #open(partition: number): Promise<Reader> {
    const { stream, durable, subject, ackWaitMs, maxAckPending } = this.#settings;
    const manager = this.#manager!;
    const name = partition < 0 ? durable! : `${durable!}_p${partition}`;
    const filter = partition < 0 ? subject : `${subject!}.${partition}`;
    let info = await manager.consumers.info(stream!, name).catch(() => undefined);
    let start: number | undefined;
    if (info !== undefined && this.#leases?.acquired.has(partition) && info.num_ack_pending > 0) {
      this.#reclaimed += info.num_ack_pending;
      start = info.ack_floor.stream_seq + 1;
      await manager.consumers.delete(stream!, name);
      info = undefined;
    }
    if (info === undefined) {
      await manager.consumers.add(stream!, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(ackWaitMs),
        max_ack_pending: maxAckPending,
        ...(filter === undefined ? {} : { filter_subject: filter }),
        ...(start === undefined
          ? {}
          : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start }),
      });
    }
    this.#leases?.acquired.delete(partition);
    const consumer = await jetstream(this.#connection!).consumers.get(stream!, name);
    // The pulls of all the partitions leased together stay within `batch`, so none waits in
    // the client's buffer for long.
    const share = Math.max(1, this.#leases?.owned.size ?? 1);
    const messages = await consumer.consume({ max_messages: Math.ceil(this.#pull / share) });
    return {
      partition,
      durable: name,
      messages,
      iterator: messages[Symbol.asyncIterator](),
      next: undefined,
    };
  }

  /**
   * Every third of `ackWait`: renews the held messages' leases and the partitions', and reads
   * the durables' backlog.
   */
  async #tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      this.#settler.renew();
      if (this.#leases !== undefined) {
        await this.#leases.tick((partition) => this.#settler.heldIn(partition)).catch(() => {});
        this.#wake();
      }
      let numPending = 0;
      let numAckPending = 0;
      for (const reader of this.#readers.values()) {
        const info = await this.#manager!.consumers.info(this.#settings.stream!, reader.durable);
        numPending += info.num_pending;
        numAckPending += info.num_ack_pending;
      }
      this.#numPending = numPending;
      this.#numAckPending = numAckPending;
    } catch {
      // Read again at the next tick.
    } finally {
      this.#ticking = false;
    }
  }
}
