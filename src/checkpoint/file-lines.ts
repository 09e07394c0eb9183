import { open } from "node:fs/promises";
import { resolve } from "node:path";
import type { SourceContext } from "../contract/types.js";
import { checkOptionsObject, integerOption, invalid } from "../internal/validate.js";
import type { Positioned, Seekable } from "./seekable.js";
import { kSeekable } from "./seekable.js";

/** Options of {@link fileLines}. */
export interface FileLinesOptions {
  /** Bytes read at a time. Default 65,536. */
  readonly chunk?: number;
}

/**
 * The lines of a UTF-8 text file as a seekable source: each line (without its `\n` or
 * `\r\n`) with the byte offset just after it as its position, so a checkpointed run resumes
 * by reading the file from that offset. A last line without a newline counts.
 *
 * @example
 * from(fileLines("./events.ndjson"), { checkpoint: checkpoint(fileCheckpoint("./events.ckpt")) })
 *   .map((line) => JSON.parse(line))
 * @throws {InvalidOptionError} when `path` is not a non-empty string or an option is invalid.
 */
export function fileLines(path: string, options?: FileLinesOptions): Seekable<string, number> {
  if (typeof path !== "string" || path.length === 0) {
    throw invalid("fileLines(path)", "a file path (a non-empty string)", path);
  }
  const raw = checkOptionsObject("fileLines", options, ["chunk"]);
  const chunk = integerOption("fileLines.chunk", raw.chunk, 65_536, 1);
  const file = resolve(path);
  return Object.freeze({
    [kSeekable]: true as const,
    read: (after: number | undefined, context: SourceContext) =>
      readLines(file, after ?? 0, chunk, context.signal),
  });
}

async function* readLines(
  file: string,
  start: number,
  chunk: number,
  signal: AbortSignal,
): AsyncGenerator<Positioned<string, number>> {
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new RangeError(
      `The checkpoint's position ${JSON.stringify(start)} is not a byte offset in ${file}`,
    );
  }
  const handle = await open(file, "r");
  try {
    const size = (await handle.stat()).size;
    if (start > size) {
      throw new RangeError(
        `The checkpoint's position ${start} is past the end of ${file} (${size} bytes): was the file replaced?`,
      );
    }
    let offset = start;
    /** Bytes read after the last newline, waiting for the rest of their line. */
    let carry = Buffer.alloc(0);
    const buffer = Buffer.allocUnsafe(chunk);
    for (;;) {
      signal.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, chunk, offset + carry.length);
      if (bytesRead === 0) break;
      const bytes =
        carry.length === 0
          ? buffer.subarray(0, bytesRead)
          : Buffer.concat([carry, buffer.subarray(0, bytesRead)]);
      let lineStart = 0;
      for (;;) {
        const newline = bytes.indexOf(0x0a, lineStart);
        if (newline < 0) break;
        const end = newline > lineStart && bytes[newline - 1] === 0x0d ? newline - 1 : newline;
        const value = bytes.toString("utf8", lineStart, end);
        lineStart = newline + 1;
        yield { value, position: offset + lineStart };
      }
      offset += lineStart;
      carry = Buffer.from(bytes.subarray(lineStart));
    }
    if (carry.length > 0) {
      const end = carry[carry.length - 1] === 0x0d ? carry.length - 1 : carry.length;
      yield { value: carry.toString("utf8", 0, end), position: offset + carry.length };
    }
  } finally {
    await handle.close();
  }
}
