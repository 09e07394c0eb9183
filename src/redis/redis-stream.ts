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
import { type RedisStreamOptions, redisStreamSettings } from "./redis-options.js";
import { StreamConsumer } from "./stream-consumer.js";
import { StreamPublisher } from "./stream-publisher.js";

/**
 * A Redis stream (on ioredis), as a source and as a destination. As a source, with a
 * `group`, each run is a consumer of the group: `from(redisStream({ key, group }))` reads
 * entries as the pipeline pulls them and acks each entry only once everything derived from
 * it has left the pipeline (see `acknowledged()`); an entry a dead consumer held is claimed
 * by another after `claimIdle`; a nacked entry comes again after `retryDelay`, and after
 * `maxDeliveries` goes to `deadLetterKey` with its error. As a destination,
 * `.to(redisStream({ key }))` appends each item (`XADD`, the item as JSON in a `data` field),
 * in pipelined batches. At-least-once: an entry may be processed twice (a consumer that died
 * after the work and before its ack), so make the work idempotent.
 *
 * @example
 * // producer
 * await from(jobs).to(redisStream({ key: "jobs" })).run();
 * // each worker (`sluice run worker.mjs`, as many as you like, on any host)
 * export default from(redisStream({ key: "jobs", group: "workers" }))
 *   .map(handle, { concurrency: 50, onError: "skip" })
 *   .forEach(store);
 * @throws {InvalidOptionError} when an option is invalid (`redisStream.key`, …).
 */
export function redisStream<T = unknown>(
  options: RedisStreamOptions,
): AcknowledgedSource<T> & Destination<T> {
  const settings = redisStreamSettings(options);
  return Object.freeze({
    [kAcknowledged]: true as const,
    [kDestination]: true as const,
    name: `redis:${settings.key}`,
    partitions: settings.partitions,
    deliveries: ({ signal, capacity }: DeliveryContext) => {
      if (settings.group === undefined) {
        throw new InvalidOptionError(
          `A Redis stream read as a source needs a consumer group: redisStream({ key: "${settings.key}", group: "…" })`,
          "redisStream.group",
          undefined,
        );
      }
      return new StreamConsumer(settings, signal, capacity) as Deliveries<T>;
    },
    open: (options?: DestinationOpenOptions<T>) =>
      new StreamPublisher(settings, options?.key as ((item: unknown) => unknown) | undefined),
  });
}
