import {
  type AcknowledgedSource,
  type Deliveries,
  type DeliveryContext,
  kAcknowledged,
} from "../contract/acknowledged.js";
import {
  type Destination,
  type DestinationOpenOptions,
  kDestination,
} from "../contract/destination.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { JetStreamConsumer } from "./jetstream-consumer.js";
import { type JetStreamOptions, jetStreamSettings } from "./jetstream-options.js";
import { JetStreamPublisher } from "./jetstream-publisher.js";

/**
 * NATS JetStream (on `@nats-io/jetstream`), as a source and as a destination. As a source,
 * `from(jetstream({ stream, durable }))` makes each run a durable pull consumer (explicit
 * acks): messages are pulled as the pipeline takes them, each acked once everything derived
 * from it has left the pipeline (see `acknowledged()`), redelivered after `ackWait` when a
 * consumer dies (a held message's lease is renewed meanwhile), retried after `retryDelay`
 * when nacked, and after `maxDeliveries` published to the dead-letter subject with its
 * error. As a destination, `.to(jetstream({ subject }))` publishes each item as JSON,
 * awaiting the server's acks batch by batch. With `partitions`, items of one key go to one
 * partition and each partition is read by one worker at a time, so a key's items are
 * processed in order across hosts. At-least-once: make the work idempotent.
 *
 * @example
 * await from(jobs).to(jetstream({ stream: "JOBS", subject: "jobs.new" })).run();
 * export default from(jetstream({ stream: "JOBS", durable: "workers" }))
 *   .map(handle, { concurrency: 50, onError: "skip" })
 *   .forEach(store);
 * @throws {InvalidOptionError} when an option is invalid (`jetstream.stream`, …).
 */
export function jetstream<T = unknown>(
  options: JetStreamOptions,
): AcknowledgedSource<T> & Destination<T> {
  const settings = jetStreamSettings(options);
  return Object.freeze({
    [kAcknowledged]: true as const,
    [kDestination]: true as const,
    name: `jetstream:${settings.subject ?? settings.stream}`,
    partitions: settings.partitions,
    deliveries: ({ signal, capacity }: DeliveryContext) => {
      if (settings.stream === undefined || settings.durable === undefined) {
        throw new InvalidOptionError(
          'A JetStream stream read as a source needs `stream` and `durable`: jetstream({ stream: "…", durable: "…" })',
          settings.stream === undefined ? "jetstream.stream" : "jetstream.durable",
          undefined,
        );
      }
      if (settings.partitions > 1 && settings.subject === undefined) {
        throw new InvalidOptionError(
          `A partitioned JetStream source needs the \`subject\` its partitions were published under: jetstream({ stream: "${settings.stream}", durable: "${settings.durable}", subject: "…", partitions: ${settings.partitions} })`,
          "jetstream.subject",
          undefined,
        );
      }
      return new JetStreamConsumer(settings, signal, capacity) as Deliveries<T>;
    },
    open: (options?: DestinationOpenOptions<T>) => {
      if (settings.subject === undefined) {
        throw new InvalidOptionError(
          'A JetStream destination needs a `subject` to publish to: jetstream({ subject: "…" })',
          "jetstream.subject",
          undefined,
        );
      }
      return new JetStreamPublisher(
        settings,
        options?.key as ((item: unknown) => unknown) | undefined,
      );
    },
  });
}
