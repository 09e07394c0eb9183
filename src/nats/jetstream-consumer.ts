import {
  AckPolicy,
  type ConsumerMessages,
  type JetStreamManager,
  jetstream,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Delivery } from "../contract/acknowledged.js";
import { connect, ensureStream, jetstreamManager, nanos } from "./connect.js";
import type { JetStreamSettings } from "./jetstream-options.js";
import { MessageSettler } from "./message-settler.js";

/**
 * One run's durable pull consumer on a JetStream stream (explicit acks). It pulls `batch`
 * messages at a time as the run takes them; the server holds at most `maxAckPending`
 * unacked for the consumer, and redelivers one held past `ackWait` (the visibility
 * timeout) — so a held message's lease is renewed (`working()`) every third of it. A nack
 * asks for the message again after `retryDelay` (`nak(delay)`), or, once it was delivered
 * `maxDeliveries` times, publishes it to the dead-letter subject with its error and ends it
 * (`term()`). The connection outlives the pulls until the run has settled (acks come later).
 */
export class JetStreamConsumer implements AsyncIterable<Delivery<unknown>> {
  readonly #settings: JetStreamSettings;
  readonly #signal: AbortSignal;
  #connection: NatsConnection | undefined;
  #messages: ConsumerMessages | undefined;
  #manager: JetStreamManager | undefined;
  readonly #settler: MessageSettler;
  #leaseTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #numPending = 0;
  #numAckPending = 0;

  /** Messages pulled at once: `batch`, at most the pipeline's capacity. */
  readonly #pull: number;

  constructor(settings: JetStreamSettings, signal: AbortSignal, capacity = Infinity) {
    this.#settings = settings;
    this.#signal = signal;
    this.#pull = Math.max(1, Math.min(settings.batch, capacity));
    this.#settler = new MessageSettler(settings, () => this.#connection);
    signal.addEventListener("abort", () => void this.#messages?.close(), { once: true });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Delivery<unknown>> {
    const { stream, durable, subject, ackWaitMs, maxAckPending } = this.#settings;
    const connection = await connect(this.#settings, `consumer:${durable}`);
    this.#connection = connection;
    const manager = await jetstreamManager(connection);
    this.#manager = manager;
    await ensureStream(manager, stream!, [subject ?? `${stream}.>`]);
    try {
      await manager.consumers.info(stream!, durable!);
    } catch {
      await manager.consumers.add(stream!, {
        durable_name: durable!,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(ackWaitMs),
        max_ack_pending: maxAckPending,
        ...(subject === undefined ? {} : { filter_subject: subject }),
      });
    }
    const consumer = await jetstream(connection).consumers.get(stream!, durable!);
    if (this.#signal.aborted) return;
    const messages = await consumer.consume({ max_messages: this.#pull });
    this.#messages = messages;
    this.#leaseTimer = setInterval(() => void this.#renew(), Math.max(1, ackWaitMs / 3));
    this.#leaseTimer.unref();
    try {
      for await (const message of messages) {
        if (this.#signal.aborted) break;
        const delivery = this.#settler.deliver(message);
        if (delivery !== undefined) yield delivery;
      }
    } finally {
      void messages.close();
    }
  }

  /** What the run's summary shows of this consumer. */
  stats(): Readonly<Record<string, number>> {
    return {
      ...this.#settler.counts,
      held: this.#settler.held,
      numPending: this.#numPending,
      numAckPending: this.#numAckPending,
    };
  }

  /** The run has settled: finish the dead letters, flush the acks, close the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#leaseTimer);
    await this.#messages?.close();
    await this.#settler.settled();
    await this.#connection?.drain().catch(() => this.#connection?.close());
  }

  /** Renews the leases of the messages held, and reads the consumer's backlog. */
  async #renew(): Promise<void> {
    this.#settler.renew();
    const { stream, durable } = this.#settings;
    try {
      const info = await this.#manager!.consumers.info(stream!, durable!);
      this.#numPending = info.num_pending;
      this.#numAckPending = info.num_ack_pending;
    } catch {
      // Read again at the next tick.
    }
  }
}
