/** Brands what `pipeline.to()` writes to (`redisStream()`, `jetstream()`, your own). */
export const kDestination: unique symbol = Symbol.for("sluice.destination") as never;

/**
 * A writer one run opens on a {@link Destination} (on its first write) and closes once it
 * has settled.
 */
export interface DestinationWriter<T> {
  /**
   * Writes a batch; resolves once the far end has it (a broker's ack), so a slow broker
   * slows the pipeline. A rejection fails the batch's items as a `forEach` would.
   */
  write(values: readonly T[], signal: AbortSignal): Promise<void>;
  /** Flushes and lets go of what the writer holds (connections); called once. */
  close(): Promise<void>;
}

/** What `.to()` tells a destination as a run opens a writer on it. */
export interface DestinationOpenOptions<T> {
  /** Each item's key (`.to(…, { key })`): a partitioned destination writes by it. */
  readonly key?: ((item: T) => unknown) | undefined;
}

/** Where `pipeline.to(destination)` writes: a broker stream, a table, a file. */
export interface Destination<T> {
  readonly [kDestination]: true;
  /** How summaries name the writing stage, such as `redis:jobs`. */
  readonly name: string;
  /** Partitions it writes to by key (`.to()` then needs `key`); absent or 1: none. */
  readonly partitions?: number;
  /** A writer for one run. */
  open(options?: DestinationOpenOptions<T>): DestinationWriter<T>;
}

/** Whether `value` is a {@link Destination}. */
export function isDestination(value: unknown): value is Destination<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [kDestination]?: unknown })[kDestination] === true
  );
}
