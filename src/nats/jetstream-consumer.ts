import {
  AckPolicy,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  jetstream,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Delivery } from "../contract/acknowledged.js";
import { connect, ensureStream, jetstreamManager, nanos } from "./connect.js";
import type { JetStreamSettings } from "./jetstream-options.js";

const encoder = new TextEncoder();

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
  readonly #held = new Set<JsMsg>();
  readonly #pending = new Set<Promise<unknown>>();
  #leaseTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #numPending = 0;
  #numAckPending = 0;
  readonly #counts = { delivered: 0, acked: 0, nacked: 0, deadLettered: 0, redelivered: 0 };

  /** Messages pulled at once: `batch`, at most the pipeline's capacity. */
  readonly #pull: number;

  constructor(settings: JetStreamSettings, signal: AbortSignal, capacity = Infinity) {
    this.#settings = settings;
    this.#signal = signal;
    this.#pull = Math.max(1, Math.min(settings.batch, capacity));
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
        let value: unknown;
        try {
          value = message.json();
        } catch (error) {
          this.#track(this.#deadLetter(message, error));
          continue;
        }
        this.#held.add(message);
        this.#counts.delivered++;
        if (message.info.deliveryCount > 1) this.#counts.redelivered++;
        yield {
          value,
          ack: () => {
            if (!this.#held.delete(message)) return;
            this.#counts.acked++;
            message.ack();
          },
          nack: (error: unknown) => {
            if (!this.#held.delete(message)) return;
            this.#counts.nacked++;
            if (message.info.deliveryCount >= this.#settings.maxDeliveries) {
              this.#track(this.#deadLetter(message, error));
            } else {
              message.nak(this.#settings.retryDelayMs);
            }
          },
        };
      }
    } finally {
      void messages.close();
    }
  }

  /** What the run's summary shows of this consumer. */
  stats(): Readonly<Record<string, number>> {
    return {
      ...this.#counts,
      held: this.#held.size,
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
    await Promise.all(this.#pending);
    await this.#connection?.drain().catch(() => this.#connection?.close());
  }

  /** Renews the leases of the messages held, and reads the consumer's backlog. */
  async #renew(): Promise<void> {
    for (const message of this.#held) message.working();
    const { stream, durable } = this.#settings;
    try {
      const info = await this.#manager!.consumers.info(stream!, durable!);
      this.#numPending = info.num_pending;
      this.#numAckPending = info.num_ack_pending;
    } catch {
      // Read again at the next tick.
    }
  }

  async #deadLetter(message: JsMsg, error: unknown): Promise<void> {
    const { stream, deadLetterSubject } = this.#settings;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const letter = {
      stream,
      subject: message.subject,
      seq: message.seq,
      deliveries: message.info.deliveryCount,
      error: text,
      data: new TextDecoder().decode(message.data),
    };
    await jetstream(this.#connection!).publish(
      deadLetterSubject ?? `sluice.dead.${stream}`,
      encoder.encode(JSON.stringify(letter)),
    );
    this.#counts.deadLettered++;
    message.term(text);
  }

  #track(pending: Promise<unknown>): void {
    const tracked = pending.catch(() => {});
    this.#pending.add(tracked);
    void tracked.then(() => this.#pending.delete(tracked));
  }
}
