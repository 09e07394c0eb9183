import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { DestinationWriter } from "../contract/destination.js";
import { connect, ensureStream, jetstreamManager } from "./connect.js";
import type { JetStreamSettings } from "./jetstream-options.js";

const encoder = new TextEncoder();

/**
 * Publishes batches to a subject: every item of a batch at once, each as JSON, resolving
 * once the server has acked them all (`PubAck`), so a slow stream slows the pipeline.
 */
export class JetStreamPublisher implements DestinationWriter<unknown> {
  readonly #settings: JetStreamSettings;
  #connection: Promise<NatsConnection> | undefined;

  constructor(settings: JetStreamSettings) {
    this.#settings = settings;
  }

  async write(values: readonly unknown[]): Promise<void> {
    const connection = await (this.#connection ??= this.#open());
    const js = jetstream(connection);
    const subject = this.#settings.subject!;
    await Promise.all(values.map((value) => js.publish(subject, encode(value))));
  }

  async close(): Promise<void> {
    const connection = await this.#connection?.catch(() => undefined);
    await connection?.drain().catch(() => connection.close());
  }

  async #open(): Promise<NatsConnection> {
    const connection = await connect(this.#settings, "publisher");
    const { stream, subject } = this.#settings;
    if (stream !== undefined) {
      await ensureStream(await jetstreamManager(connection), stream, [subject!]);
    }
    return connection;
  }
}

function encode(value: unknown): Uint8Array {
  const json = JSON.stringify(value);
  if (json === undefined) {
    throw new TypeError(`Cannot publish ${typeof value} to JetStream: JSON has no form for it`);
  }
  return encoder.encode(json);
}
