/** Brands sources whose items are acknowledged (`acknowledged()`, broker consumers). */
export const kAcknowledged: unique symbol = Symbol.for("sluice.acknowledged") as never;

/**
 * One message of an acknowledged source: its value, and what to tell its broker once
 * everything derived from it has left the pipeline. The run calls exactly one of `ack` and
 * `nack`, once, or neither when it stops first (the broker then redelivers the message after
 * its visibility timeout). Neither may throw: an adapter keeps its own errors (a failed ack
 * is a redelivery, which at-least-once allows).
 */
export interface Delivery<T> {
  readonly value: T;
  /** Everything derived from the message was emitted, filtered, sunk or dead-lettered. */
  ack(): void;
  /** Something derived from it failed (`error`, the first failure): redeliver it. */
  nack(error: unknown): void;
}

/**
 * One run's deliveries: an (async) iterable, and optionally what the run calls when it has
 * settled (`close`: let go of connections that acks needed after the last read) and what
 * it reads for its summary (`stats`: the broker's own view, such as pending messages).
 */
export type Deliveries<T> = (AsyncIterable<Delivery<T>> | Iterable<Delivery<T>>) & {
  close?(): Promise<void>;
  stats?(): Readonly<Record<string, number>>;
};

/** Where an acknowledged source reads its deliveries, for one run. */
export type DeliverySource<T> = (context: DeliveryContext) => Deliveries<T>;

/** What a run tells its acknowledged source as it opens it. */
export interface DeliveryContext {
  /** Aborted when the run stops reading (it finished, was cancelled or failed). */
  readonly signal: AbortSignal;
  /**
   * About how many items the pipeline holds at most (read-ahead, widths, buffers): a broker
   * source keeps no more messages than this unacked, so the backlog stays on the broker.
   */
  readonly capacity: number;
}

/**
 * A source whose items are acknowledged: `from()` takes one like any source, and each run
 * then tracks every item derived from each delivery (through `filter`, `flatMap`, `batch`,
 * error policies) to ack the delivery once all of them have left the last stage, or nack it
 * when one failed. Build one with `acknowledged()`; `redisStream()` and `jetstream()` are
 * ones.
 */
export interface AcknowledgedSource<T> {
  readonly [kAcknowledged]: true;
  /** Opens the deliveries for one run. */
  readonly deliveries: DeliverySource<T>;
}

/** Whether `value` is an {@link AcknowledgedSource}. */
export function isAcknowledged(value: unknown): value is AcknowledgedSource<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [kAcknowledged]?: unknown })[kAcknowledged] === true
  );
}
