import { checkOptionsObject, integerOption } from "../internal/validate.js";
import type { ConsumableRun } from "./consumable-run.js";

/** Options for `run.toWeb()`. */
export interface ToWebOptions {
  /**
   * Outputs the stream reads ahead into its queue before anyone asks: integer >= 0. Default
   * 0: the run starts on the first read, as a run does, rather than as soon as the stream is
   * made (a WHATWG stream pulls up to its mark at once); and the run's own stage buffers
   * already read ahead, so its `next()` mostly answers from a chunk it holds and a second
   * queue here would add memory, not speed.
   */
  readonly highWaterMark?: number;
}

/**
 * A WHATWG `ReadableStream` over a run's outputs, in the order the run yields them: for
 * `fetch` bodies, `Response`, `pipeTo()`/`pipeThrough()` and code shared with browsers. Any
 * value is a chunk, `null` and `undefined` included.
 *
 * Reading is pulled: the stream calls `run.next()` only from its `pull`, which the stream
 * never runs twice at once, and only while its queue holds fewer than `highWaterMark`
 * outputs or a read is waiting. The run ending closes the stream; the run failing errors it
 * with the run's own error (a `StageError`, `SourceError` or, when the run was cancelled
 * from outside, the `CancelledError` its `next()` throws), which every later read rejects
 * with.
 *
 * Cancelling the stream stops the run: `cancel()` with no reason quietly (as breaking out of
 * `for await` does), `cancel(reason)` by `run.cancel(reason)`, so the run's summary reports
 * `reason`. The cancel promise resolves only after the run has settled: nothing it started
 * is still running then.
 *
 * Costs a few promises per output (the stream's read and pull) on top of the run's `next()`;
 * for the fastest in-process loop use `for await` over the run itself. Meant to be called
 * once per run: the stream is the run's one consumer.
 *
 * @throws {InvalidOptionError} (a `TypeError`) at once for a bad option; the run is left
 *   untouched.
 */
export function toWeb<T>(run: ConsumableRun<T>, options?: ToWebOptions): ReadableStream<T> {
  const raw = checkOptionsObject("toWeb", options, ["highWaterMark"]);
  const highWaterMark = integerOption("toWeb.highWaterMark", raw.highWaterMark, 0, 0);
  /** Set by `cancel`: the stream is closed and its controller refuses enqueue and close. */
  let cancelled = false;
  return new ReadableStream<T>(
    {
      async pull(controller) {
        let result: IteratorResult<T, unknown>;
        try {
          result = await run.next();
        } catch (error) {
          // After a cancel, the pending next() rejects with the cancel's own CancelledError
          // (or resolves done): the consumer asked for that, it is not news to report.
          if (!cancelled) controller.error(error);
          return;
        }
        if (cancelled) return;
        if (result.done === true) controller.close();
        else controller.enqueue(result.value);
      },
      async cancel(reason: unknown) {
        cancelled = true;
        // `reader.cancel()`, and `break` in a `for await`, pass undefined: a quiet stop, as
        // breaking out of the run's own loop is.
        await (reason === undefined ? run.return() : run.cancel(reason));
        await run.settled;
      },
    },
    new CountQueuingStrategy({ highWaterMark }),
  );
}
