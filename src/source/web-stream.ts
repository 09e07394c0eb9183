import type { ReadableStream, ReadableStreamDefaultReader } from "node:stream/web";
import { InvalidOptionError } from "../errors/invalid-option-error.js";

/** Whether `value` is a WHATWG `ReadableStream` (of this realm or another: by its shape). */
export function isWebStream(value: unknown): value is ReadableStream<unknown> {
  if (typeof value !== "object" || value === null) return false;
  const stream = value as { getReader?: unknown; cancel?: unknown; locked?: unknown };
  return (
    typeof stream.getReader === "function" &&
    typeof stream.cancel === "function" &&
    typeof stream.locked === "boolean"
  );
}

/** A web stream read by one run: its items, and how to cancel it when the run stops. */
export interface WebStreamRead<T> {
  readonly iterator: AsyncIterator<T>;
  /** Cancels the stream (its source's `cancel(reason)` runs), even while a read is pending. */
  readonly cancel: () => void;
}

/**
 * Reads `stream` through a reader of its own. The stream's own async iterator would cancel
 * it only once a pending read settled, so an idle stream would never hear that the run
 * stopped; `reader.cancel()` ends the pending read at once and reaches the stream's source.
 * `reason` gives the reason the source's `cancel` receives (the run's signal's).
 *
 * @throws {InvalidOptionError} when the stream is locked (another reader holds it).
 */
export function readWebStream<T>(
  stream: ReadableStream<T>,
  reason: () => unknown,
  path = "from.source",
): WebStreamRead<T> {
  if (stream.locked) {
    throw new InvalidOptionError(
      `Expected \`${path}\` to be a ReadableStream no other reader holds, got a locked one: release its reader (reader.releaseLock()) or pass a stream of its own`,
      path,
      stream,
    );
  }
  const reader: ReadableStreamDefaultReader<T> = stream.getReader();
  let cancelling: Promise<void> | undefined;
  const cancel = (): Promise<void> => (cancelling ??= reader.cancel(reason()));
  return {
    iterator: {
      next: () => reader.read() as Promise<IteratorResult<T>>,
      return: async () => {
        await cancel();
        return { done: true, value: undefined };
      },
    },
    cancel: () => void cancel().catch(() => {}),
  };
}
