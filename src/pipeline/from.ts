import type { AcknowledgedSource } from "../contract/acknowledged.js";
import type { Readable } from "node:stream";
import { checkOptionsObject, integerOption } from "../internal/validate.js";
import { checkSource } from "../source/open-source.js";
import { defaults } from "./defaults.js";
import type { FromOptions } from "./options.js";
import { Pipeline } from "./pipeline.js";
import type { Source, SourceContext } from "../contract/types.js";
import { type Checkpoint, isCheckpoint } from "../checkpoint/checkpoint.js";
import { arraySeekable } from "../checkpoint/array-seekable.js";
import { checkpointed } from "../checkpoint/checkpointed-source.js";
import { isSeekable, type Positioned, type Seekable } from "../checkpoint/seekable.js";
import { invalid } from "../internal/validate.js";

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
export function from<T>(
  source: Seekable<T> | readonly T[],
  options: FromOptions & { readonly checkpoint: Checkpoint },
): Pipeline<T>;
export function from<T>(source: Seekable<T>, options?: FromOptions): Pipeline<T>;
export function from(
  source: Readable | ((ctx: SourceContext) => Readable),
  options?: FromOptions,
): Pipeline<unknown>;
export function from<T>(
  source: Source<T> | AcknowledgedSource<T>,
  options?: FromOptions,
): Pipeline<T>;
export function from<T>(
  source: Source<T> | AcknowledgedSource<T> | Seekable<T>,
  options?: FromOptions,
): Pipeline<T> {
  const raw = checkOptionsObject("from", options, ["buffer", "checkpoint"]);
  const buffer = integerOption("from.buffer", raw.buffer, defaults.sourceBuffer, 1);
  let opened: unknown = source;
  if (raw.checkpoint !== undefined) {
    opened = checkpointedSource(source, raw.checkpoint);
  } else if (isSeekable(source)) {
    // Without a checkpoint, a seekable source is read from its start.
    opened = (context: SourceContext) => valuesOf(source.read(undefined, context));
  }
  checkSource(opened);
  return new Pipeline<T>(
    opened as Source<unknown> | AcknowledgedSource<unknown>,
    Object.freeze([]),
    buffer,
  );
}

/** `source` with `checkpoint`'s progress: an array or a seekable source, else a clear error. */
function checkpointedSource(source: unknown, checkpoint: unknown): AcknowledgedSource<unknown> {
  if (!isCheckpoint(checkpoint)) {
    throw invalid("from.checkpoint", "checkpoint(store, { every })", checkpoint);
  }
  if (Array.isArray(source)) return checkpointed(arraySeekable(source), checkpoint);
  if (isSeekable(source)) return checkpointed(source, checkpoint);
  throw invalid(
    "from.source",
    'a source that can seek, for `checkpoint`: an array, fileLines(path), pgKeyset(…) from "sluice/pg", or seekable(read)',
    source,
  );
}

/** A seekable source's values, read from its start. */
async function* valuesOf<T>(
  items: Iterable<Positioned<T, unknown>> | AsyncIterable<Positioned<T, unknown>>,
): AsyncGenerator<T> {
  for await (const item of items as AsyncIterable<Positioned<T, unknown>>) yield item.value;
}
