import type { SourceContext } from "../contract/types.js";
import { functionArgument } from "../internal/validate.js";

/** Marks a {@link Seekable}. */
export const kSeekable: unique symbol = Symbol.for("sluice.seekable") as never;

/** An item of a seekable source, with the position a resumed run would read after. */
export interface Positioned<T, P> {
  readonly value: T;
  readonly position: P;
}

/**
 * A source that can start part way: `read(after)` yields the items after position `after`
 * (all of them for `undefined`), in order, each with its own position (a JSON value). What
 * `from(source, { checkpoint })` needs, besides arrays.
 */
export interface Seekable<T, P = unknown> {
  readonly [kSeekable]: true;
  read(
    after: P | undefined,
    context: SourceContext,
  ): Iterable<Positioned<T, P>> | AsyncIterable<Positioned<T, P>>;
  /** Lets go of what reading held (a connection pool it made), once the run has settled. */
  close?(): Promise<void>;
}

/**
 * A seekable source from a function: `read(after, { signal })` returns an (async) iterable of
 * `{ value, position }` after `after`. Positions must increase in the order read; a resumed
 * run calls `read` with the last position it had finished up to.
 *
 * @example
 * const pages = seekable(async function* (after, { signal }) {
 *   for (let id = after ?? 0; ; id += 100) {
 *     const rows = await db.rowsAfter(id, 100, signal);
 *     if (rows.length === 0) return;
 *     yield { value: rows, position: rows.at(-1).id };
 *   }
 * });
 * @throws {InvalidOptionError} when `read` is not a function.
 */
export function seekable<T, P>(
  read: (
    after: P | undefined,
    context: SourceContext,
  ) => Iterable<Positioned<T, P>> | AsyncIterable<Positioned<T, P>>,
  options?: { close?: () => Promise<void> },
): Seekable<T, P> {
  const fn = functionArgument<Seekable<T, P>["read"]>(
    "seekable(read)",
    read,
    "a function (after, { signal }) => an iterable of { value, position }",
  );
  const close = options?.close;
  return Object.freeze({
    [kSeekable]: true as const,
    read: fn,
    ...(close === undefined ? {} : { close }),
  });
}

/** Whether `value` is a {@link Seekable}. */
export function isSeekable(value: unknown): value is Seekable<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [kSeekable]?: unknown })[kSeekable] === true
  );
}
