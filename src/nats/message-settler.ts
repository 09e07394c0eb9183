import { type JsMsg, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Delivery } from "../contract/acknowledged.js";
import type { JetStreamSettings } from "./jetstream-options.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * What a JetStream consumer does with the messages it delivers: each becomes a delivery
 * whose ack is `ack()`, whose nack is `nak(retryDelay)` or, once the message was delivered
 * `maxDeliveries` times, a dead letter (published with its error) and `term()`. Keeps the
 * messages held (their leases renewed by {@link renew}), per partition, and the counts.
 */
export class MessageSettler {
  readonly #settings: JetStreamSettings;
  readonly #connection: () => NatsConnection | undefined;
  /** Messages delivered and not yet settled, with their partition (−1: none). */
  readonly #held = new Map<JsMsg, number>();
  readonly #perPartition = new Map<number, number>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly counts = { delivered: 0, acked: 0, nacked: 0, deadLettered: 0, redelivered: 0 };

  constructor(settings: JetStreamSettings, connection: () => NatsConnection | undefined) {
    this.#settings = settings;
    this.#connection = connection;
  }

  /** Messages held now. */
  get held(): number {
    return this.#held.size;
  }

  /** Messages of `partition` held now. */
  heldIn(partition: number): number {
    return this.#perPartition.get(partition) ?? 0;
  }

  /** `message` as a delivery; `undefined` when it holds no JSON (it is dead-lettered). */
  deliver(message: JsMsg, partition = -1): Delivery<unknown> | undefined {
    let value: unknown;
    try {
      value = message.json();
    } catch (error) {
      this.#track(this.#deadLetter(message, error));
      return undefined;
    }
    this.#hold(message, partition);
    this.counts.delivered++;
    if (message.info.deliveryCount > 1) this.counts.redelivered++;
    return {
      value,
      ack: () => {
        if (!this.#release(message)) return;
        this.counts.acked++;
        message.ack();
      },
      nack: (error: unknown) => {
        if (!this.#release(message)) return;
        this.counts.nacked++;
        if (message.info.deliveryCount >= this.#settings.maxDeliveries) {
          this.#track(this.#deadLetter(message, error));
        } else {
          message.nak(this.#settings.retryDelayMs);
        }
      },
    };
  }

  /** Resets the ack wait of every message held (`working()`): their leases. */
  renew(): void {
    for (const message of this.#held.keys()) message.working();
  }

  /** Resolves once every dead letter under way is published. */
  async settled(): Promise<void> {
    await Promise.all(this.#pending);
  }

  #hold(message: JsMsg, partition: number): void {
    this.#held.set(message, partition);
    if (partition >= 0) this.#perPartition.set(partition, this.heldIn(partition) + 1);
  }

  #release(message: JsMsg): boolean {
    const partition = this.#held.get(message);
    if (partition === undefined) return false;
    this.#held.delete(message);
    if (partition >= 0) this.#perPartition.set(partition, this.heldIn(partition) - 1);
    return true;
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
      data: decoder.decode(message.data),
    };
    await jetstream(this.#connection()!).publish(
      deadLetterSubject ?? `sluice.dead.${stream}`,
      encoder.encode(JSON.stringify(letter)),
    );
    this.counts.deadLettered++;
    message.term(text);
  }

  #track(pending: Promise<unknown>): void {
    const tracked = pending.catch(() => {});
    this.#pending.add(tracked);
    void tracked.then(() => this.#pending.delete(tracked));
  }
}
