import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { SourceError } from "../errors/source-error.js";
import { describeValue } from "../internal/describe-value.js";
import type { RunControl } from "../pipeline/run-control.js";
import type { Source } from "../pipeline/types.js";
import { AsyncSource } from "./async-source.js";
import type { SourceInput } from "./source-input.js";
import { SyncSource } from "./sync-source.js";

const SOURCE_EXPECTATION = "an Iterable, an AsyncIterable, a Readable, or a function returning one";

/** One-shot iterators (generators) already read by a run: a second run would see nothing. */
const consumed = new WeakSet<object>();

/** Checks a `from()` argument at build time; functions are checked when a run opens them. */
export function checkSource(value: unknown): void {
  if (typeof value === "function") return;
  if (!isIterable(value) && !isAsyncIterable(value)) throw badSource("from.source", value);
}

/** Opens the source for one run: calls a source function, then picks the sync or async reader. */
export function openSource<T>(source: Source<T>, chunk: number, run: RunControl): SourceInput<T> {
  let value: unknown = source;
  if (typeof source === "function") {
    try {
      value = source({ signal: run.signal });
    } catch (error) {
      throw new SourceError(error, 0);
    }
  }
  if (isIterable(value)) {
    const iterator = value[Symbol.iterator]() as Iterator<T>;
    claimOnce(value, iterator);
    return new SyncSource(iterator, chunk, run);
  }
  if (isAsyncIterable(value)) {
    const iterator = value[Symbol.asyncIterator]() as AsyncIterator<T>;
    claimOnce(value, iterator);
    return new AsyncSource(iterator, chunk, run);
  }
  throw badSource("from.source()", value, "the source function returned");
}

function claimOnce(iterable: object, iterator: object): void {
  if ((iterator as unknown) !== iterable) return;
  if (consumed.has(iterable)) {
    throw new InvalidOptionError(
      "Expected `from.source` to be re-iterable for a second run, got an iterator (such as a generator object) that an earlier run already read; pass a function that returns a fresh one: from(() => gen())",
      "from.source",
      iterable,
    );
  }
  consumed.add(iterable);
}

function badSource(path: string, value: unknown, prefix = "got"): InvalidOptionError {
  const hint =
    typeof value === "string" ? "; wrap a string in an array to emit it as one item" : "";
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
