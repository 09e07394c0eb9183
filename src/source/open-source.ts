import { isAcknowledged } from "../contract/acknowledged.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { SourceError } from "../errors/source-error.js";
import { describeValue } from "../internal/describe-value.js";
import type { RunControl } from "../contract/run-control.js";
import type { Source } from "../contract/types.js";
import { ArraySource, iteratesAsArray } from "./array-source.js";
import { AsyncSource } from "./async-source.js";
import type { SourceInput } from "./source-input.js";
import { SyncSource } from "./sync-source.js";
import type { ReadableStream } from "node:stream/web";
import { isWebStream, readWebStream, type WebStreamRead } from "./web-stream.js";

const SOURCE_EXPECTATION =
  "an Iterable, an AsyncIterable, a Readable, a ReadableStream, or a function returning one";

/** One-shot iterators (generators) already read by a run: a second run would see nothing. */
const consumed = new WeakSet<object>();

/** Checks a `from()` argument at build time; functions are checked when a run opens them. */
export function checkSource(value: unknown, path = "from.source"): void {
  if (typeof value === "function" || isAcknowledged(value)) return;
  if (!isIterable(value) && !isAsyncIterable(value) && !isWebStream(value)) {
    throw badSource(path, value);
  }
}

/** Opens the source for one run: calls a source function, then picks the sync or async reader. */
export function openSource<T>(
  source: Source<T>,
  chunk: number,
  run: RunControl,
  signal: AbortSignal = run.signal,
): SourceInput<T> {
  let value: unknown = source;
  if (typeof source === "function") {
    try {
      value = source({ signal });
    } catch (error) {
      // A misuse found as the run opens its source (a merge's input read twice) is itself.
      if (error instanceof InvalidOptionError) throw error;
      throw new SourceError(error, 0);
    }
  }
  if (isWebStream(value)) {
    const { iterator, cancel } = openWebStream<T>(value as ReadableStream<T>, signal);
    return new AsyncSource(iterator, chunk, run, cancel);
  }
  // An array is read by index: the same items, without an iterator result per item.
  if (iteratesAsArray(value)) return new ArraySource(value as readonly T[], chunk, run);
  if (isIterable(value)) {
    const iterator = value[Symbol.iterator]() as Iterator<T>;
    claimOnce(value, (iterator as unknown) === value);
    return new SyncSource(iterator, chunk, run);
  }
  if (isAsyncIterable(value)) {
    const iterator = value[Symbol.asyncIterator]() as AsyncIterator<T>;
    const destroy = destroyerOf(value);
    claimOnce(value, (iterator as unknown) === value || destroy !== undefined);
    return new AsyncSource(iterator, chunk, run, destroy);
  }
  // A rejected promise from an async function must not surface as an unhandled rejection:
  // the run reports the misuse instead.
  if (isThenable(value)) (value as PromiseLike<unknown>).then(undefined, () => {});
  throw badSource("from.source()", value, "the source function returned");
}

/**
 * A generator object is its own iterator, and a stream hands out a new iterator over the
 * same, already read, data: either way a second run would silently see nothing.
 */
export function claimOnce(iterable: object, oneShot: boolean, path = "from.source"): void {
  if (!oneShot) return;
  if (consumed.has(iterable)) {
    throw new InvalidOptionError(
      `Expected \`${path}\` to be re-iterable for a second run, got an iterator or stream (such as a generator object or a Readable) that an earlier run already read; pass a function that returns a fresh one: from(() => gen())`,
      path,
      iterable,
    );
  }
  consumed.add(iterable);
}

/**
 * Reads a web stream for one run: refused when an earlier run read it (it is then locked,
 * and the message says how to read it again) or another reader holds it.
 */
export function openWebStream<T>(
  stream: ReadableStream<T>,
  signal: AbortSignal,
  path = "from.source",
): WebStreamRead<T> {
  if (consumed.has(stream)) claimOnce(stream, true, path);
  const read = readWebStream(stream, () => signal.reason, path);
  consumed.add(stream);
  return read;
}

/** A `Readable` (or a stream like one) is destroyed when the run stops. */
function destroyerOf(value: object): (() => void) | undefined {
  const stream = value as { read?: unknown; destroy?: unknown };
  if (typeof stream.read !== "function" || typeof stream.destroy !== "function") return undefined;
  return () => (stream.destroy as () => void).call(stream);
}

function badSource(path: string, value: unknown, prefix = "got"): InvalidOptionError {
  const hint =
    typeof value === "string"
      ? "; wrap a string in an array to emit it as one item"
      : isThenable(value)
        ? "; an async function returns a Promise: make it an async generator (async function*) or return the iterable itself"
        : "";
  return new InvalidOptionError(
    `Expected \`${path}\` to be ${SOURCE_EXPECTATION}, ${prefix} ${describeValue(value)}${hint}`,
    path,
    value,
  );
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === "function"
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"
  );
}

function isThenable(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}
