import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { DestinationWriter } from "../contract/destination.js";
import { partitionOf } from "../internal/partition-hash.js";
import { connect, ensureStream, jetstreamManager } from "./connect.js";
import type { JetStreamSettings } from "./jetstream-options.js";

const encoder = new TextEncoder();

/**
 * Publishes batches to a subject: every item of a batch at once, each as JSON, resolving
 * once the server has acked them all (`PubAck`), so a slow stream slows the pipeline. A
 * partitioned subject's item goes to `<subject>.<partition>`, its partition the hash of its
 * key (`partitionOf`).
 */
export class JetStreamPublisher implements DestinationWriter<unknown> {
  readonly #settings: JetStreamSettings;
  readonly #keyOf: ((item: unknown) => unknown) | undefined;
  #connection: Promise<NatsConnection> | undefined;

  constructor(settings: JetStreamSettings, keyOf?: (item: unknown) => unknown) {
    this.#settings = settings;
    this.#keyOf = keyOf;
  }

  async write(values: readonly unknown[]): Promise<void> {
    const connection = await (this.#connection ??= this.#open());
    const js = jetstream(connection);
    const { subject, partitions } = this.#settings;
    const keyOf = this.#keyOf;
    await Promise.all(
      values.map((value) =>
        js.publish(
          partitions > 1 && keyOf !== undefined
            ? `${subject!}.${partitionOf(keyOf(value), partitions)}`
            : subject!,
          encode(value),
        ),
      ),
    );
  }

  async close(): Promise<void> {
    const connection = await this.#connection?.catch(() => undefined);
    await connection?.drain().catch(() => connection.close());
  }

  async #open(): Promise<NatsConnection> {
    const connection = await connect(this.#settings, "publisher");
    const { stream, subject, partitions } = this.#settings;
    if (stream !== undefined) {
      const subjects = [partitions > 1 ? `${subject!}.*` : subject!];
      await ensureStream(await jetstreamManager(connection), stream, subjects);
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
