import type { DeadLetterContext } from "../contract/types.js";
import { type Duration, parseDuration } from "../internal/duration.js";
import { booleanOption, checkOptionsObject, invalid } from "../internal/validate.js";
import { AppendWriter } from "./append-writer.js";
import { recordLine } from "./dead-letter-record.js";
import { filePath } from "./file-path.js";

/** Options of {@link deadLetterFile}. */
export interface DeadLetterFileOptions {
  /**
   * How long a batch gathers lines after its first one before it is written: ms, or a string
   * such as `"100ms"`. Default 0: the next turn of the event loop. Minimum 0. A batch also
   * waits for the write before it, so under load the lines of one write's duration go out
   * together whatever this is. Raising it trades latency for fewer writes; mind that a stage
   * holds each failed item's place until its line is written.
   */
  readonly flushEvery?: Duration;
  /**
   * `fdatasync` each batch before its lines' promises resolve, so they survive a power cut,
   * not only a crash of the process. Default `false` (written to the OS).
   */
  readonly fsync?: boolean;
}

/** {@link deadLetterFile}'s defaults. */
export const deadLetterFileDefaults = Object.freeze({
  flushEvery: 0,
  fsync: false,
} as const);

/**
 * A stage's `deadLetter` that appends each dropped item to an NDJSON file: call it as
 * `(item, error, ctx)` (a stage does), or use its `close()` and `written`.
 */
export interface DeadLetterFile {
  /**
   * Appends the item's line; resolves once it is written, rejects with a
   * `DeadLetterFileError` naming the file when it cannot be opened or written (which fails
   * the run). Never throws because of the item or the error, whatever they are.
   */
  (item: unknown, error: unknown, ctx: DeadLetterContext): Promise<void>;
  /** The file's absolute path. */
  readonly path: string;
  /** Lines written so far (by every run that used this dead letter). */
  readonly written: number;
  /**
   * Writes the lines queued so far (without waiting for `flushEvery`) and closes the file.
   * Resolves once it is closed. The file is closed anyway whenever no line waits, so this is
   * needed only with `flushEvery`; a later dead letter opens the file again.
   */
  close(): Promise<void>;
}

/**
 * A dead letter that appends every item a `onError: "skip"` stage drops to the file at
 * `path` (a path, resolved against the cwd now, or a `file:` URL), one JSON object per line:
 * `{ "stage", "index", "item", "error": { name, message, code?, stack?, cause? },
 * "attempts": [{ attempt, at, error }], "at" }` (see `DeadLetterRecord`). `replay(path)`
 * reads the items back.
 *
 * The file is opened on the first dead letter, with flag `"a"` (created if missing, never
 * truncated; the directory must exist), and closed again as soon as no line waits to be
 * written, before the last lines' promises resolve: when a run settles, its dead letters are
 * in the file and no handle, request or timer is left. Lines are batched: one write per batch, and
 * each item's promise resolves once its line is written, so every dead letter of a run is in
 * the file when the run settles. Several runs (or stages) may share one dead letter file; two
 * `deadLetterFile()`s on one path write whole lines each but may interleave batches.
 *
 * What JSON cannot say is written so that it never throws: a BigInt as `{ "$bigint": "12" }`
 * (read back as a BigInt by `replay`), an object inside itself as `"[Circular]"`, a throwing
 * `toJSON` or getter as `"[Unserializable: <message>]"`; `undefined`, functions and symbols
 * are left out as JSON leaves them out. Errors are written by `serializeError`.
 *
 * Cost: one line string per dead letter, built at once (the item as it failed); one write and
 * one Buffer per batch; an open and a close per run of back-to-back batches (items that fail
 * one after another, each after the last one's line was written, pay them per item).
 *
 * @example
 * const deadLetters = deadLetterFile("dead.ndjson");
 * await from(orders).map(charge, { onError: "skip", deadLetter: deadLetters }).run();
 * console.log(`${deadLetters.written} orders to replay`);
 *
 * @throws {InvalidOptionError} (a `TypeError`) for a bad path or option, at once.
 */
export function deadLetterFile(
  path: string | URL,
  options?: DeadLetterFileOptions,
): DeadLetterFile {
  const absolute = filePath("deadLetterFile.path", path);
  const raw = checkOptionsObject("deadLetterFile", options, ["flushEvery", "fsync"]);
  const writer = new AppendWriter(absolute, {
    flushEvery: flushEveryOption(raw.flushEvery),
    fsync: booleanOption("deadLetterFile.fsync", raw.fsync, deadLetterFileDefaults.fsync),
  });
  const deadLetter = (item: unknown, error: unknown, ctx: DeadLetterContext): Promise<void> =>
    writer.append(recordLine(item, error, ctx, Date.now()));
  return Object.defineProperties(deadLetter, {
    path: { value: absolute, enumerable: true },
    written: { get: () => writer.written, enumerable: true },
    close: { value: () => writer.close() },
  }) as DeadLetterFile;
}

const MAX_TIMER_MS = 2_147_483_647;

function flushEveryOption(value: unknown): number {
  if (value === undefined) return deadLetterFileDefaults.flushEvery;
  const ms = parseDuration(value);
  // setTimeout's own limit: a longer delay would fire at once.
  if (ms === undefined || ms > MAX_TIMER_MS) {
    throw invalid(
      "deadLetterFile.flushEvery",
      `a duration from 0 to ${MAX_TIMER_MS} ms (a number of ms or a string such as "100ms")`,
      value,
    );
  }
  return ms;
}
