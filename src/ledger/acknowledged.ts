import {
  type AcknowledgedSource,
  type Delivery,
  type DeliverySource,
  kAcknowledged,
} from "../contract/acknowledged.js";
import { describeValue } from "../internal/describe-value.js";
import { invalid } from "../internal/validate.js";

/**
 * A source whose messages are acknowledged once everything derived from them has left the
 * pipeline: `deliveries({ signal })` is called by each run and returns an (async) iterable of
 * `{ value, ack(), nack(error) }`. The stages see the values; the run calls `ack()` when
 * every item derived from a delivery was emitted (taken by the consumer), filtered, consumed
 * by a `forEach` or dead-lettered (a flatMap's outputs and a batch's members all count),
 * and `nack(error)` instead when one failed and was skipped (or shed). A run that is
 * cancelled or fails calls neither for what it had not finished: a broker redelivers those.
 * At-least-once: a nacked or unacked message is processed again.
 *
 * @example
 * const source = acknowledged(({ signal }) => queue.consume({ signal }));
 * await from(source).map(handle).forEach(store).run();
 * @throws {InvalidOptionError} when `deliveries` is not a function.
 */
export function acknowledged<T>(deliveries: DeliverySource<T>): AcknowledgedSource<T> {
  if (typeof deliveries !== "function") {
    throw invalid(
      "acknowledged(deliveries)",
      "a function ({ signal }) => an iterable of { value, ack, nack }",
      deliveries,
    );
  }
  return Object.freeze({ [kAcknowledged]: true as const, deliveries });
}

/** Checks one delivery as the run reads it: a TypeError names what is wrong with it. */
export function checkDelivery(delivery: unknown): Delivery<unknown> {
  if (
    typeof delivery !== "object" ||
    delivery === null ||
    !("value" in delivery) ||
    typeof (delivery as Delivery<unknown>).ack !== "function" ||
    typeof (delivery as Delivery<unknown>).nack !== "function"
  ) {
    throw new TypeError(
      `Expected each delivery of an acknowledged source to be { value, ack(), nack(error) }, got ${describeValue(delivery)}`,
    );
  }
  return delivery as Delivery<unknown>;
}
