import { type FileHandle, open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { checkOptionsObject, stringOption } from "../internal/validate.js";
import { DeadLetterFileError } from "../errors/dead-letter-file-error.js";
import { type DeadLetterRecord, parseRecord } from "./dead-letter-record.js";
import { filePath } from "./file-path.js";

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Only the items this stage dropped (the `stage` of their lines). Default: every line's. */
  readonly stage?: string;
}

/**
 * The items of a dead-letter file written by `deadLetterFile()`, as a source for `from()`:
 * `from(replay("dead.ndjson", { stage: "charge" }))`. Each iteration (each run) reads the
 * file afresh, streaming it line by line (a 64 KiB chunk and a line in memory at a time,
 * however large the file), in the order the lines were written, and reads only the bytes the file had when it
 * was opened: lines appended meanwhile (the replayed run's own dead letters, written to the
 * same file) wait for the next replay. BigInts come back as BigInts; the rest is what
 * `JSON.parse` gives (a Date is an ISO string). Blank lines are skipped.
 *
 * The iteration rejects with a `DeadLetterFileError` naming the file when it cannot be read,
 * and naming the file and line (`dead.ndjson:7`) at a line that is not a dead letter; a run
 * reading it fails with a `SourceError` whose `cause` that is. Closing the iteration early
 * (`break`, a `take`, a cancelled run) closes the file: at once for a `break`; for a run,
 * which gives its source one turn to close, once the read under way has ended.
 *
 * @example
 * await from(replay<Order>("dead.ndjson", { stage: "charge" })).map(charge).run();
 *
 * @throws {InvalidOptionError} (a `TypeError`) for a bad path or option, at once.
 */
export function replay<T = unknown>(path: string | URL, options?: ReplayOptions): AsyncIterable<T> {
  const absolute = filePath("replay.path", path);
  const raw = checkOptionsObject("replay", options, ["stage"]);
  const stage = raw.stage === undefined ? undefined : stringOption("replay.stage", raw.stage, "");
  return {
    [Symbol.asyncIterator]: () => replayItems<T>(absolute, stage),
  };
}

async function* replayItems<T>(path: string, stage: string | undefined): AsyncGenerator<T> {
  for await (const record of readRecords(path, { stage })) yield record.item as T;
}

/** @internal Options of {@link readRecords}. */
export interface ReadRecordsOptions {
  /** Only this stage's lines. */
  readonly stage?: string | undefined;
  /** Read the first `end` bytes; default the file's size when it is opened. */
  readonly end?: number | undefined;
}

/**
 * @internal The lines of a dead-letter file as records, streamed (see {@link replay}); the
 * CLI reads them whole, and bounds every pass to the bytes its first pass saw.
 */
export async function* readRecords(
  path: string,
  options: ReadRecordsOptions = {},
): AsyncGenerator<DeadLetterRecord> {
  const [handle, fileSize] = await openForReading(path);
  try {
    const size = options.end ?? fileSize;
    if (size <= 0) return;
    // The handle stays ours (autoClose off): closed below however the iteration ends.
    const input = handle.createReadStream({ start: 0, end: size - 1, autoClose: false });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let number = 0;
    try {
      for await (const line of lines) {
        number++;
        if (line.trim() === "") continue;
        const record = parseRecord(line);
        if (typeof record === "string") {
          throw new DeadLetterFileError(
            `Malformed dead-letter line ${path}:${number}: ${record}`,
            path,
            number,
          );
        }
        if (options.stage === undefined || record.stage === options.stage) yield record;
      }
    } finally {
      lines.close();
      input.destroy();
    }
  } catch (error) {
    if (error instanceof DeadLetterFileError) throw error;
    throw new DeadLetterFileError(
      `Cannot read the dead-letter file ${path}`,
      path,
      undefined,
      error,
    );
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The file open for reading, and its size; only a regular file will do. */
async function openForReading(path: string): Promise<[FileHandle, number]> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new DeadLetterFileError(
      `Cannot read the dead-letter file ${path}`,
      path,
      undefined,
      error,
    );
  }
  const stats = await handle.stat().catch(() => undefined);
  if (stats === undefined || !stats.isFile()) {
    await handle.close().catch(() => undefined);
    throw new DeadLetterFileError(`Cannot read the dead-letter file ${path}: not a file`, path);
  }
  return [handle, stats.size];
}
