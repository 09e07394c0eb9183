import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ReadableStream } from "node:stream/web";
import { from, isInvalidOptionError, isSourceError } from "../../src/index.js";
import { until } from "../helpers/until.js";

/** A stream of 0 … n − 1 that counts its pulls and records its cancel. */
function counting(n: number): {
  stream: ReadableStream<number>;
  pulls: () => number;
  cancelled: () => unknown[];
} {
  let next = 0;
  let pulls = 0;
  const cancelled: unknown[] = [];
  const stream = new ReadableStream<number>(
    {
      pull(controller) {
        pulls++;
        if (next < n) controller.enqueue(next++);
        else controller.close();
      },
      cancel(reason) {
        cancelled.push(reason);
      },
    },
    { highWaterMark: 1 },
  );
  return { stream, pulls: () => pulls, cancelled: () => cancelled };
}

describe("from(ReadableStream)", () => {
  test("reads a WHATWG ReadableStream in order, typed by its chunks", async () => {
    const { stream } = counting(1_000);
    const out = await from(stream)
      .map((n) => n * 2)
      .run()
      .toArray();
    assert.deepEqual(
      out,
      Array.from({ length: 1_000 }, (_, i) => i * 2),
    );
  });

  test("is pulled, not drained: the stream is read only as far as the pipeline takes", async () => {
    const { stream, pulls, cancelled } = counting(1_000_000);
    const out = await from(stream, { buffer: 16 }).take(5).run().toArray();
    assert.deepEqual(out, [0, 1, 2, 3, 4]);
    assert.ok(pulls() < 100, `${pulls()} pulls`);
    // take() stopped the source: the stream's source heard it.
    await until(() => cancelled().length === 1);
  });

  test("a cancelled run cancels an idle stream (a read pending) with the run's reason", async () => {
    let cancelledWith: unknown = "not cancelled";
    const stream = new ReadableStream<number>({
      start(controller) {
        controller.enqueue(1);
      },
      pull() {
        // Never answers: the stream is idle.
        return new Promise(() => {});
      },
      cancel(reason) {
        cancelledWith = reason;
      },
    });
    const controller = new AbortController();
    const run = from(stream)
      .map((n) => n)
      .run({ signal: controller.signal });
    assert.deepEqual(await run.next(), { done: false, value: 1 });
    const reason = new Error("enough");
    controller.abort(reason);
    await assert.rejects(run.next(), (error: unknown) => (error as Error).cause === reason);
    assert.equal(cancelledWith, reason);
  });

  test("a stream that errors fails the run with a SourceError, after the items read before it", async () => {
    const boom = new Error("disk gone");
    let sent = 0;
    const stream = new ReadableStream<number>({
      pull(controller) {
        if (sent < 3) controller.enqueue(sent++);
        else controller.error(boom);
      },
    });
    const seen: number[] = [];
    await assert.rejects(
      from(stream)
        .forEach((n) => {
          seen.push(n);
        })
        .run()
        .drain(),
      (error: unknown) => isSourceError(error) && error.cause === boom && error.pulled === 3,
    );
    assert.deepEqual(seen, [0, 1, 2]);
  });

  test("a locked stream, or one a run already read, is refused with the way out; a function gives each run a fresh one", async () => {
    const { stream } = counting(3);
    const reader = stream.getReader();
    await assert.rejects(from(stream).run().toArray(), (error: unknown) => {
      return (
        isInvalidOptionError(error) &&
        error.option === "from.source" &&
        /a ReadableStream no other reader holds, got a locked one/.test(error.message)
      );
    });
    reader.releaseLock();
    const once = from(stream);
    assert.deepEqual(await once.run().toArray(), [0, 1, 2]);
    await assert.rejects(
      once.run().toArray(),
      (error: unknown) => isInvalidOptionError(error) && /re-iterable/.test(error.message),
    );
    const fresh = from(() => counting(3).stream);
    assert.deepEqual(await fresh.run().toArray(), [0, 1, 2]);
    assert.deepEqual(await fresh.run().toArray(), [0, 1, 2]);
  });
});
