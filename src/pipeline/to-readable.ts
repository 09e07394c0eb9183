import { getDefaultHighWaterMark, Readable } from "node:stream";
import { checkOptionsObject, integerOption } from "../internal/validate.js";
import type { ConsumableRun } from "./consumable-run.js";

/** Options for `run.toReadable()`. */
export interface ToReadableOptions {
  /**
   * Outputs the stream reads ahead of its consumer and holds in its buffer: integer >= 1.
   * Default Node's object-mode default, `stream.getDefaultHighWaterMark(true)` (16 unless
   * the process changed it).
   */
  readonly highWaterMark?: number;
}

/**
 * An object-mode Node `Readable` over a run's outputs, in the order the run yields them: for
 * `stream.pipeline()`, `.pipe()` and APIs that take a stream (an HTTP response, a file).
 *
 * Reading is pulled: the stream calls `run.next()` only when Node asks it to read, one call
 * at a time, and stops once its buffer holds `highWaterMark` outputs, so the run runs at most
 * that far ahead of the consumer (plus its own stage buffers). Nothing starts until the
 * stream is first read. The run ending ends the stream; the run failing destroys the stream
 * with the run's own error (a `StageError`, `SourceError` or, when the run was cancelled
 * from outside, the `CancelledError` its `next()` throws).
 *
 * Destroying the stream stops the run: `destroy()` quietly (the summary has no `error`), and
 * so does breaking out of `for await` over the stream (Node destroys it with its own
 * `AbortError`, which is taken as the quiet stop it stands for); `destroy(error)` stops it
 * by `run.cancel(error)`, so the summary reports `error` (`stream.pipeline()` destroys with
 * the failing stream's error). Either way `'close'` (and `'error'`) fire only after the run has settled:
 * nothing it started is still running then. A `null` output, which a Node stream cannot carry, destroys
 * the stream with a `TypeError` (code `ERR_STREAM_NULL_VALUES`) and cancels the run with it.
 *
 * Costs one promise per output on top of the run's `next()`. Meant to be called once per run:
 * the stream is the run's one consumer.
 *
 * @throws {InvalidOptionError} (a `TypeError`) at once for a bad option; the run is left
 *   untouched.
 */
export function toReadable<T>(run: ConsumableRun<T>, options?: ToReadableOptions): Readable {
  const raw = checkOptionsObject("toReadable", options, ["highWaterMark"]);
  const highWaterMark = integerOption(
    "toReadable.highWaterMark",
    raw.highWaterMark,
    getDefaultHighWaterMark(true),
    1,
  );
  /** A pump loop is running (a `next()` is pending or about to be): one at a time. */
  let reading = false;
  /** The run's `next()` returned done or rejected, so the run has settled by itself. */
  let ended = false;
  let pushed = 0;

  const pump = async (): Promise<void> => {
    try {
      for (;;) {
        const result = await run.next();
        // Destroyed while waiting: `_destroy` is already stopping the run, and a value that
        // arrived now has no one to go to.
        if (readable.destroyed) return;
        if (result.done === true) {
          ended = true;
          readable.push(null);
          return;
        }
        if (result.value === null) {
          readable.destroy(nullValue(pushed));
          return;
        }
        pushed++;
        // false: the buffer is at highWaterMark; Node calls `_read` again once it drains.
        if (!readable.push(result.value)) return;
      }
    } catch (error) {
      ended = true;
      readable.destroy(error as Error);
    } finally {
      reading = false;
    }
  };

  const readable = new Readable({
    objectMode: true,
    highWaterMark,
    read() {
      // Node may call `_read` again while a `next()` is pending (each push resets its
      // reading flag); the running loop keeps pushing anyway, and a second loop would put
      // two `next()` calls in flight: outputs out of order and read past highWaterMark.
      if (reading) return;
      reading = true;
      void pump();
    },
    destroy(error, callback) {
      // A run that ended by itself needs no stop, only the wait (its `next()` answered after
      // it settled, so this is at once). One stopped by the consumer is waited for too, so
      // 'close' means nothing is left running.
      const stopping = ended
        ? run.settled
        : error == null || isBreak(error)
          ? run.return()
          : run.cancel(error);
      stopping
        .then(() => run.settled)
        .then(
          () => process.nextTick(callback, error),
          // A well-behaved run never rejects here; if one does, the stream still closes.
          (thrown: unknown) => process.nextTick(callback, error ?? thrown),
        );
    },
  });
  return readable;
}

/** Node's own error for a `null` written to an object-mode stream, with the output's index. */
function nullValue(index: number): TypeError {
  const error = new TypeError(
    `Run output #${index} is null, which a Node stream cannot carry (null ends it); map it to another value or use toWeb()`,
  );
  return Object.assign(error, { code: "ERR_STREAM_NULL_VALUES" });
}

/** The error Node destroys a stream with when a `for await` over it breaks early. */
function isBreak(error: Error): boolean {
  return error.name === "AbortError" && (error as { code?: unknown }).code === "ABORT_ERR";
}
