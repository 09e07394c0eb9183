import type { AcknowledgedSource } from "../contract/acknowledged.js";
import type { Readable } from "node:stream";
import { checkOptionsObject, integerOption } from "../internal/validate.js";
import { checkSource } from "../source/open-source.js";
import { defaults } from "./defaults.js";
import type { FromOptions } from "./options.js";
import { Pipeline } from "./pipeline.js";
import type { Source, SourceContext } from "../contract/types.js";

/**
 * Starts a pipeline from an Iterable, an AsyncIterable, a Node `Readable` (object mode or
 * not), or a function `({ signal }) => iterable` called afresh by each run (use a function
 * to run a definition over a generator or a stream more than once: a generator object or a
 * Readable passed directly can be read by one run only).
 *
 * Reading is pulled by the first stage and bounded: the source runs at most `buffer` items
 * ahead of it. A sync iterable is read in chunks without a promise per item.
 *
 * A `Readable` types the pipeline as `Pipeline<unknown>` (a stream says nothing of its
 * chunks' type): narrow it with a typed `map` or a type-guard `filter` first.
 *
 * @throws {InvalidOptionError} (a `TypeError`) when `source` is none of these.
 */
export function from(
  source: Readable | ((ctx: SourceContext) => Readable),
  options?: FromOptions,
): Pipeline<unknown>;
export function from<T>(
  source: Source<T> | AcknowledgedSource<T>,
  options?: FromOptions,
): Pipeline<T>;
export function from<T>(
  source: Source<T> | AcknowledgedSource<T>,
  options?: FromOptions,
): Pipeline<T> {
  checkSource(source);
  const raw = checkOptionsObject("from", options, ["buffer"]);
  const buffer = integerOption("from.buffer", raw.buffer, defaults.sourceBuffer, 1);
  return new Pipeline<T>(
    source as Source<unknown> | AcknowledgedSource<unknown>,
    Object.freeze([]),
    buffer,
  );
}
