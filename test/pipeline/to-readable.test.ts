import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import fc from "fast-check";
import {
  CancelledError,
  from,
  isCancelledError,
  isSourceError,
  isStageError,
} from "../../src/index.js";
import type { ConsumableRun } from "../../src/pipeline/consumable-run.js";
import { toReadable } from "../../src/pipeline/to-readable.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { countingSource, probedRun, untilAborted } from "../helpers/run-probes.js";
import { assertConserved } from "../helpers/conservation.js";
import { buildPipeline, InFlightProbe, reference, stagePlan } from "../helpers/random-pipeline.js";
import { assertNoLeaks, settleTurns } from "../helpers/resources.js";

/** Resolves on 'close' with the 'error' the stream emitted before it, if any. */
function closed(stream: Readable): Promise<{ error: unknown }> {
  return new Promise((resolve) => {
    let error: unknown;
    stream.once("error", (thrown) => {
      error = thrown;
    });
    stream.once("close", () => resolve({ error }));
  });
}

/** A Writable that collects what it is given and answers each write after a turn. */
function slowSink(values: unknown[], onWrite?: (count: number) => Error | undefined): Writable {
  return new Writable({
    objectMode: true,
    highWaterMark: 1,
    write(value: unknown, _encoding, callback) {
      values.push(value);
      setImmediate(() => callback(onWrite?.(values.length)));
    },
  });
}

describe("toReadable: values", () => {
  test("Readable.toArray yields every output in order", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 2, 3, 4, 5])
        .map(async (x) => x * 2, { ordered: true, concurrency: 3 })
        .run();
      assert.deepEqual(await toReadable(run).toArray(), [2, 4, 6, 8, 10]);
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assertConserved(summary);
    });
  });

  test("for await over the stream yields every output, then the run settles as completed", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 2, 3])
        .map((x) => x * 2)
        .run();
      const seen: number[] = [];
      for await (const value of toReadable(run)) seen.push(value as number);
      assert.deepEqual(seen, [2, 4, 6]);
      assert.equal((await run.settled).outcome, "completed");
    });
  });

  test("stream.pipeline into a slow Writable delivers every output in order", async () => {
    await assertNoLeaks(async () => {
      const input = Array.from({ length: 200 }, (_, i) => i);
      const run = from(input, { buffer: 4 })
        .map(async (x) => x + 1, { ordered: true, concurrency: 4, buffer: 8 })
        .run();
      const values: unknown[] = [];
      await pipeline(toReadable(run, { highWaterMark: 2 }), slowSink(values));
      assert.deepEqual(
        values,
        input.map((x) => x + 1),
      );
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assert.equal(summary.delivered, 200);
    });
  });

  test("an empty run ends the stream with no values", async () => {
    await assertNoLeaks(async () => {
      const run = from<number>([])
        .map((x) => x)
        .run();
      assert.deepEqual(await toReadable(run).toArray(), []);
      assert.equal((await run.settled).outcome, "completed");
    });
  });

  test("undefined outputs pass through as values", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 2])
        .map(() => undefined)
        .run();
      assert.deepEqual(await toReadable(run).toArray(), [undefined, undefined]);
    });
  });

  test("a null output, which would end a Node stream, destroys it and cancels the run", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 2, 3], { buffer: 1 })
        .map((x) => (x === 2 ? null : x), { concurrency: 1, ordered: true })
        .run();
      const readable = toReadable(run);
      const seen: unknown[] = [];
      readable.on("data", (value) => seen.push(value));
      const { error } = await closed(readable);
      assert.deepEqual(seen, [1]);
      assert.ok(error instanceof TypeError);
      assert.equal((error as { code?: unknown }).code, "ERR_STREAM_NULL_VALUES");
      assert.match(error.message, /output #1 is null/);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, error);
    });
  });

  test("in order and complete over random pipelines and high-water marks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stagePlan, { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        async (plan, input, highWaterMark) => {
          const probe = new InFlightProbe(plan.length);
          const run = buildPipeline(plan, input, probe).run();
          const output = (await toReadable(run, { highWaterMark }).toArray()) as number[];
          const expected = reference(plan, input);
          if (plan.every((stage) => stage.ordered)) assert.deepEqual(output, expected);
          else assert.deepEqual([...output].sort(byNumber), [...expected].sort(byNumber));
          const summary = await run.settled;
          assert.equal(summary.outcome, "completed");
          assertConserved(summary);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("toReadable: backpressure", () => {
  test("is an object-mode stream with Node's object-mode default high-water mark", async () => {
    await assertNoLeaks(async () => {
      const run = from([1]).run();
      const readable = toReadable(run);
      assert.equal(readable.readableObjectMode, true);
      assert.equal(readable.readableHighWaterMark, 16);
      assert.equal(toReadable(from([1]).run(), { highWaterMark: 5 }).readableHighWaterMark, 5);
      readable.destroy();
      await run.settled;
    });
  });

  test("reads nothing, and does not start the run, before a consumer asks", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source).run();
      const readable = toReadable(run);
      await settleTurns();
      assert.equal(events.opened, false);
      assert.equal(run.stats().outcome, "running");
      readable.destroy();
      await closed(readable);
      assert.equal(events.opened, false);
      assert.equal((await run.settled).outcome, "cancelled");
    });
  });

  test("reads exactly highWaterMark outputs ahead, then one more per output consumed", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source, { buffer: 1 }).run();
      const readable = toReadable(run, { highWaterMark: 3 });
      assert.equal(readable.read(0), null);
      await settleTurns();
      assert.equal(events.produced, 3);
      assert.equal(readable.readableLength, 3);
      for (let k = 1; k <= 5; k++) {
        assert.equal(readable.read(), k - 1);
        await settleTurns();
        assert.equal(events.produced, 3 + k);
        assert.equal(readable.readableLength, 3);
      }
      readable.destroy();
      await closed(readable);
      assert.equal(events.closed, true);
    });
  });

  test("the read-ahead is exactly highWaterMark for any mark and any number of reads", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        async (highWaterMark, reads) => {
          const { events, source } = countingSource();
          const run = from(source, { buffer: 1 }).run();
          const readable = toReadable(run, { highWaterMark });
          readable.read(0);
          await settleTurns();
          for (let k = 0; k < reads; k++) {
            readable.read();
            await settleTurns();
          }
          assert.equal(events.produced, highWaterMark + reads);
          readable.destroy();
          await closed(readable);
          assert.equal(events.closed, true);
        },
      ),
      { numRuns: 30 },
    );
  });

  test("a slow consumer keeps an endless source within the pipeline's buffers", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const sourceBuffer = 4;
      const concurrency = 2;
      const stageBuffer = 4;
      const highWaterMark = 2;
      const run = from(source, { buffer: sourceBuffer })
        .map(async (x) => x, { concurrency, buffer: stageBuffer })
        .run();
      const probe = probedRun(run);
      // What may sit between the source and the consumer: the stream's buffer, the stage's
      // output channel, the items in flight, and one source chunk in the stage's hands and
      // one read ahead.
      const bound = highWaterMark + stageBuffer + concurrency + 2 * sourceBuffer;
      let consumed = 0;
      let maxAhead = 0;
      for await (const _value of toReadable(probe.run, { highWaterMark })) {
        consumed++;
        await nextTurn();
        await nextTurn();
        maxAhead = Math.max(maxAhead, events.produced - consumed);
        if (consumed === 100) break;
      }
      assert.ok(maxAhead <= bound, `read ${maxAhead} items ahead, bound ${bound}`);
      assert.equal(probe.maxPending(), 1);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(events.closed, true);
      assertConserved(summary);
    });
  });

  for (const mode of ["flowing", "paused"] as const) {
    test(`calls next() once at a time, also when a ${mode} consumer reads while it waits`, async () => {
      await assertNoLeaks(async () => {
        const input = Array.from({ length: 100 }, (_, i) => i);
        const probe = probedRun(
          from(input, { buffer: 1 })
            .map(
              async (x) => {
                // Outputs trickle in a turn apart, so reads arrive while next() is pending.
                await nextTurn();
                return x;
              },
              { concurrency: 1, buffer: 1 },
            )
            .run(),
        );
        const readable = toReadable(probe.run, { highWaterMark: 4 });
        const seen: unknown[] = [];
        if (mode === "flowing") {
          readable.on("data", (value) => seen.push(value));
        } else {
          readable.on("readable", () => {
            for (let value; (value = readable.read()) !== null;) seen.push(value);
          });
        }
        await closed(readable);
        assert.deepEqual(seen, input);
        assert.equal(probe.maxPending(), 1);
      });
    });
  }
});

describe("toReadable: errors", () => {
  test("a failing stage destroys the stream with the run's StageError, the same object", async () => {
    await assertNoLeaks(async () => {
      const cause = new Error("boom");
      const run = from([1, 2, 3])
        .map(
          (x) => {
            if (x === 2) throw cause;
            return x;
          },
          { name: "explode", concurrency: 1 },
        )
        .run();
      const readable = toReadable(run);
      const error = await readable.toArray().then(
        () => assert.fail("expected a rejection"),
        (thrown: unknown) => thrown,
      );
      assert.ok(isStageError(error));
      assert.equal(error.stage, "explode");
      assert.equal(error.cause, cause);
      assert.equal(readable.destroyed, true);
      assert.equal(readable.errored, error);
      const summary = await run.settled;
      assert.equal(summary.outcome, "failed");
      assert.equal(summary.error, error);
    });
  });

  test("a failing source makes for await over the stream throw the SourceError", async () => {
    await assertNoLeaks(async () => {
      const run = from(function* () {
        yield 1;
        throw new Error("disk gone");
      }).run();
      const seen: unknown[] = [];
      await assert.rejects(
        (async () => {
          for await (const value of toReadable(run)) seen.push(value);
        })(),
        (error: unknown) => isSourceError(error) && error.message.includes("disk gone"),
      );
      assert.equal((await run.settled).outcome, "failed");
    });
  });

  test("the 'error' event fires, with the StageError, after the run has settled", async () => {
    await assertNoLeaks(async () => {
      let inFlight = 0;
      const run = from([0, 1, 2, 3])
        .map(
          async (x, ctx) => {
            inFlight++;
            try {
              if (x === 0) throw new Error("first");
              return await untilAborted(ctx.signal);
            } finally {
              inFlight--;
            }
          },
          { concurrency: 4 },
        )
        .run();
      const readable = toReadable(run);
      readable.resume();
      let inFlightAtError = -1;
      readable.on("error", () => {
        inFlightAtError = inFlight;
      });
      const { error } = await closed(readable);
      assert.ok(isStageError(error));
      assert.equal(inFlightAtError, 0);
    });
  });
});

describe("toReadable: cancellation", () => {
  test("destroy() cancels the run quietly and closes the source", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source)
        .map(async (x) => x)
        .run();
      const readable = toReadable(run);
      readable.once("data", () => readable.destroy());
      const { error } = await closed(readable);
      assert.equal(error, undefined);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, undefined);
      assert.equal(events.closed, true);
      assertConserved(summary);
    });
  });

  test("breaking out of for await stops the run quietly, as breaking out of the run itself does", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source)
        .map(async (x) => x)
        .run();
      const readable = toReadable(run);
      for await (const value of readable) {
        if (value === 5) break;
      }
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, undefined);
      assert.equal(events.closed, true);
      assertConserved(summary);
    });
  });

  test("destroy() with no error emits no 'error' and settles the run before 'close'", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      let inFlight = 0;
      const run = from(source)
        .map(
          async (_x, ctx) => {
            inFlight++;
            try {
              return await untilAborted(ctx.signal);
            } finally {
              inFlight--;
            }
          },
          { concurrency: 4 },
        )
        .run();
      const readable = toReadable(run);
      readable.read(0);
      await nextTurn();
      assert.ok(inFlight > 0, "items are in flight when the stream is destroyed");
      let settled = false;
      void run.settled.then(() => {
        settled = true;
      });
      let atClose: { inFlight: number; settled: boolean; closed: boolean } | undefined;
      readable.once("close", () => {
        atClose = { inFlight, settled, closed: events.closed };
      });
      readable.destroy();
      const { error } = await closed(readable);
      assert.equal(error, undefined);
      assert.deepEqual(atClose, { inFlight: 0, settled: true, closed: true });
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, undefined);
    });
  });

  for (const how of ["destroy()", "destroy(err)", "a failed run"] as const) {
    test(`after ${how}, 'close' waits for run.settled however long it takes`, async () => {
      await assertNoLeaks(async () => {
        const run = from(function* () {
          yield 1;
          if (how === "a failed run") throw new Error("source broke");
          yield* countingSource().source();
        }).run();
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        // A run that takes until `release()` to settle, whatever stopped it.
        const slow: ConsumableRun<unknown> = {
          next: () => run.next(),
          return: () => run.return(),
          cancel: (reason) => run.cancel(reason),
          settled: Promise.all([run.settled, gate]),
        };
        const readable = toReadable(slow);
        let closeFired = false;
        const closing = closed(readable).then((result) => {
          closeFired = true;
          return result;
        });
        readable.once("data", () => {
          if (how === "destroy()") readable.destroy();
          if (how === "destroy(err)") readable.destroy(new Error("stop"));
        });
        readable.resume();
        await run.settled;
        await settleTurns();
        assert.equal(closeFired, false);
        assert.equal(readable.destroyed, true);
        release();
        const { error } = await closing;
        assert.equal(error === undefined, how === "destroy()");
      });
    });
  }

  test("destroy(err) cancels the run with err as its reason and emits err", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source)
        .map(async (x) => x)
        .run();
      const readable = toReadable(run);
      const reason = new Error("consumer gave up");
      readable.once("data", () => readable.destroy(reason));
      const { error } = await closed(readable);
      assert.equal(error, reason);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, reason);
      assert.equal(events.closed, true);
      assertConserved(summary);
    });
  });

  test("destroy() before any read settles the run without opening the source", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source).run();
      const readable = toReadable(run);
      readable.destroy();
      await closed(readable);
      assert.equal(events.opened, false);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.pulled, 0);
    });
  });

  test("an external run.cancel(reason) errors the stream with a CancelledError", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source)
        .map(async (x) => x)
        .run();
      const reason = new Error("shutting down");
      const error = await (async () => {
        for await (const value of toReadable(run)) {
          if (value === 3) void run.cancel(reason);
        }
      })().then(
        () => assert.fail("expected a rejection"),
        (thrown: unknown) => thrown,
      );
      assert.ok(error instanceof CancelledError);
      assert.ok(isCancelledError(error));
      assert.equal(error.cause, reason);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, reason);
      assert.equal(events.closed, true);
    });
  });

  test("aborting the run's signal errors the stream with a CancelledError", async () => {
    await assertNoLeaks(async () => {
      const controller = new AbortController();
      const run = from(countingSource().source)
        .map(async (x) => x)
        .run({ signal: controller.signal });
      const readable = toReadable(run);
      readable.once("data", () => controller.abort(new Error("sigterm")));
      readable.resume();
      const { error } = await closed(readable);
      assert.ok(isCancelledError(error));
      assert.equal((error.cause as Error).message, "sigterm");
    });
  });

  test("a Writable failing in stream.pipeline cancels the run with the Writable's error", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source, { buffer: 4 })
        .map((x) => x, { buffer: 4 })
        .run();
      const failure = new Error("disk full");
      const values: unknown[] = [];
      await assert.rejects(
        pipeline(
          toReadable(run, { highWaterMark: 2 }),
          slowSink(values, (count) => (count === 20 ? failure : undefined)),
        ),
        (error: unknown) => error === failure,
      );
      assert.deepEqual(
        values,
        Array.from({ length: 20 }, (_, i) => i),
      );
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, failure);
      assert.equal(events.closed, true);
    });
  });
});

describe("toReadable: options", () => {
  test("a bad highWaterMark or options object throws InvalidOptionError at once", () => {
    const run = from([1]).run();
    const bad = (value: unknown): (() => unknown) => {
      return () => toReadable(run, { highWaterMark: value } as never);
    };
    assertInvalid(
      bad(0),
      "Expected `toReadable.highWaterMark` to be an integer >= 1, got `0` (number)",
      "toReadable.highWaterMark",
    );
    assertInvalid(
      bad("x"),
      'Expected `toReadable.highWaterMark` to be an integer >= 1, got `"x"` (string)',
      "toReadable.highWaterMark",
    );
    assertInvalid(
      bad(1.5),
      "Expected `toReadable.highWaterMark` to be an integer >= 1, got `1.5` (number)",
      "toReadable.highWaterMark",
    );
    assertInvalid(
      bad(Number.NaN),
      "Expected `toReadable.highWaterMark` to be an integer >= 1, got `NaN` (number)",
      "toReadable.highWaterMark",
    );
    assertInvalid(
      () => toReadable(run, { highWatermark: 4 } as never),
      "Unknown option `toReadable.highWatermark`; did you mean `highWaterMark`? Known options: highWaterMark",
      "toReadable.highWatermark",
    );
    assertInvalid(
      () => toReadable(run, 16 as never),
      "Expected `toReadable` to be an options object, got `16` (number)",
      "toReadable",
    );
  });

  test("a bad option leaves the run unstarted and still consumable", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 2]).run();
      assert.throws(() => toReadable(run, { highWaterMark: -1 }));
      assert.deepEqual(await toReadable(run).toArray(), [1, 2]);
    });
  });
});

function byNumber(a: number, b: number): number {
  return a - b;
}
