import assert from "node:assert/strict";
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
import { toWeb } from "../../src/pipeline/to-web.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { countingSource, probedRun, untilAborted } from "../helpers/run-probes.js";
import { assertConserved } from "../helpers/conservation.js";
import { buildPipeline, InFlightProbe, reference, stagePlan } from "../helpers/random-pipeline.js";
import { assertNoLeaks, settleTurns } from "../helpers/resources.js";

async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const reader = stream.getReader();
  const values: T[] = [];
  for (;;) {
    const result = await reader.read();
    if (result.done) return values;
    values.push(result.value);
  }
}

describe("toWeb: values", () => {
  test("for await over the stream yields every output in order, then the run completes", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 2, 3, 4, 5])
        .map(async (x) => x * 2, { ordered: true, concurrency: 3 })
        .run();
      const seen: number[] = [];
      for await (const value of toWeb(run)) seen.push(value);
      assert.deepEqual(seen, [2, 4, 6, 8, 10]);
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assertConserved(summary);
    });
  });

  test("reader.read() yields every output, then done", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 2, 3])
        .map((x) => `#${x}`)
        .run();
      assert.deepEqual(await readAll(toWeb(run)), ["#1", "#2", "#3"]);
      assert.equal((await run.settled).outcome, "completed");
    });
  });

  test("pipeTo a slow WritableStream delivers every output in order", async () => {
    await assertNoLeaks(async () => {
      const input = Array.from({ length: 200 }, (_, i) => i);
      const run = from(input, { buffer: 4 })
        .map(async (x) => x + 1, { ordered: true, concurrency: 4, buffer: 8 })
        .run();
      const values: number[] = [];
      await toWeb(run, { highWaterMark: 2 }).pipeTo(
        new WritableStream<number>(
          {
            async write(value) {
              values.push(value);
              await nextTurn();
            },
          },
          new CountQueuingStrategy({ highWaterMark: 1 }),
        ),
      );
      assert.deepEqual(
        values,
        input.map((x) => x + 1),
      );
      assert.equal((await run.settled).delivered, 200);
    });
  });

  test("an empty run closes the stream with no values", async () => {
    await assertNoLeaks(async () => {
      const run = from<number>([]).run();
      assert.deepEqual(await readAll(toWeb(run)), []);
      assert.equal((await run.settled).outcome, "completed");
    });
  });

  test("null and undefined outputs are ordinary chunks", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 2, 3])
        .map((x) => (x === 1 ? null : x === 2 ? undefined : x), { ordered: true })
        .run();
      assert.deepEqual(await readAll(toWeb(run)), [null, undefined, 3]);
    });
  });

  test("in order and complete over random pipelines and high-water marks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stagePlan, { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 8 }),
        async (plan, input, highWaterMark) => {
          const probe = new InFlightProbe(plan.length);
          const run = buildPipeline(plan, input, probe).run();
          const output = await readAll(toWeb(run, { highWaterMark }));
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

describe("toWeb: backpressure", () => {
  test("by default reads nothing, and does not start the run, before the first read", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source, { buffer: 1 }).run();
      const stream = toWeb(run);
      await settleTurns();
      assert.equal(events.opened, false);
      const reader = stream.getReader();
      assert.deepEqual(await reader.read(), { done: false, value: 0 });
      await settleTurns();
      assert.equal(events.produced, 1);
      await reader.cancel();
      assert.equal(events.closed, true);
    });
  });

  test("reads exactly highWaterMark outputs ahead, then one more per output read", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        async (highWaterMark, reads) => {
          const { events, source } = countingSource();
          const run = from(source, { buffer: 1 }).run();
          const reader = toWeb(run, { highWaterMark }).getReader();
          await settleTurns();
          assert.equal(events.produced, highWaterMark);
          for (let k = 0; k < reads; k++) {
            assert.deepEqual(await reader.read(), { done: false, value: k });
            await settleTurns();
          }
          assert.equal(events.produced, highWaterMark + reads);
          await reader.cancel();
          assert.equal((await run.settled).outcome, "cancelled");
          assert.equal(events.closed, events.opened);
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
      // The stream's queue, the stage's output channel, the items in flight, one source
      // chunk in the stage's hands and one read ahead.
      const bound = highWaterMark + stageBuffer + concurrency + 2 * sourceBuffer;
      let consumed = 0;
      let maxAhead = 0;
      for await (const _value of toWeb(probe.run, { highWaterMark })) {
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
      assert.equal(summary.error, undefined);
      assert.equal(events.closed, true);
      assertConserved(summary);
    });
  });
});

describe("toWeb: errors", () => {
  test("a failing stage's StageError reaches reader.read(), the same object", async () => {
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
      const error = await readAll(toWeb(run)).then(
        () => assert.fail("expected a rejection"),
        (thrown: unknown) => thrown,
      );
      assert.ok(isStageError(error));
      assert.equal(error.stage, "explode");
      assert.equal(error.cause, cause);
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
      await assert.rejects(
        (async () => {
          for await (const _value of toWeb(run));
        })(),
        (error: unknown) => isSourceError(error) && error.message.includes("disk gone"),
      );
      assert.equal((await run.settled).outcome, "failed");
    });
  });

  test("an errored stream refuses later reads with the same error", async () => {
    await assertNoLeaks(async () => {
      const run = from([1])
        .map(() => {
          throw new Error("always");
        })
        .run();
      const reader = toWeb(run).getReader();
      const first = await reader.read().catch((thrown: unknown) => thrown);
      const second = await reader.read().catch((thrown: unknown) => thrown);
      assert.ok(isStageError(first));
      assert.equal(second, first);
    });
  });
});

describe("toWeb: cancellation", () => {
  test("reader.cancel() cancels the run quietly and closes the source", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source)
        .map(async (x) => x)
        .run();
      const reader = toWeb(run).getReader();
      assert.deepEqual(await reader.read(), { done: false, value: 0 });
      await reader.cancel();
      assert.equal(events.closed, true);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, undefined);
      assertConserved(summary);
    });
  });

  test("reader.cancel(reason) cancels the run with that reason", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source)
        .map(async (x) => x)
        .run();
      const reader = toWeb(run).getReader();
      await reader.read();
      const reason = new Error("client went away");
      await reader.cancel(reason);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, reason);
      assert.equal(events.closed, true);
    });
  });

  test("cancel resolves only once the run has settled, in-flight items included", async () => {
    await assertNoLeaks(async () => {
      let inFlight = 0;
      const run = from(countingSource().source)
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
      const reader = toWeb(run, { highWaterMark: 4 }).getReader();
      // The run may give the event loop a turn before its first items start.
      for (let turn = 0; turn < 10 && inFlight === 0; turn++) await nextTurn();
      assert.ok(inFlight > 0, "items are in flight when the stream is cancelled");
      let settled = false;
      void run.settled.then(() => {
        settled = true;
      });
      await reader.cancel();
      assert.equal(inFlight, 0);
      assert.equal(settled, true);
    });
  });

  for (const reason of [undefined, new Error("stop")]) {
    test(`cancel(${reason === undefined ? "" : "reason"}) waits for run.settled however long it takes`, async () => {
      await assertNoLeaks(async () => {
        const run = from(countingSource().source).run();
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        // A run that takes until `release()` to settle, whatever stopped it.
        const slow: ConsumableRun<number> = {
          next: () => run.next(),
          return: () => run.return(),
          cancel: (why) => run.cancel(why),
          settled: Promise.all([run.settled, gate]),
        };
        const reader = toWeb(slow).getReader();
        await reader.read();
        let cancelDone = false;
        const cancelling = reader.cancel(reason).then(() => {
          cancelDone = true;
        });
        await run.settled;
        await settleTurns();
        assert.equal(cancelDone, false);
        release();
        await cancelling;
        assert.equal((await run.settled).error, reason);
      });
    });
  }

  test("a pending read resolves done when the stream is cancelled", async () => {
    await assertNoLeaks(async () => {
      const run = from(countingSource().source)
        .map((x, ctx) =>
          x === 0
            ? x
            : new Promise<number>((resolve) => {
                ctx.signal.addEventListener("abort", () => resolve(x));
              }),
        )
        .run();
      const reader = toWeb(run).getReader();
      await reader.read();
      const pending = reader.read();
      await settleTurns();
      await reader.cancel(new Error("stop"));
      assert.deepEqual(await pending, { done: true, value: undefined });
      assert.equal((await run.settled).outcome, "cancelled");
    });
  });

  test("breaking out of for await cancels the run quietly", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source)
        .map(async (x) => x)
        .run();
      for await (const value of toWeb(run)) if (value === 5) break;
      assert.equal(events.closed, true);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, undefined);
    });
  });

  test("cancelling before any read settles the run without opening the source", async () => {
    await assertNoLeaks(async () => {
      const { events, source } = countingSource();
      const run = from(source).run();
      await toWeb(run).cancel();
      assert.equal(events.opened, false);
      assert.equal((await run.settled).outcome, "cancelled");
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
        for await (const value of toWeb(run)) {
          if (value === 3) void run.cancel(reason);
        }
      })().then(
        () => assert.fail("expected a rejection"),
        (thrown: unknown) => thrown,
      );
      assert.ok(error instanceof CancelledError);
      assert.ok(isCancelledError(error));
      assert.equal(error.cause, reason);
      assert.equal((await run.settled).error, reason);
      assert.equal(events.closed, true);
    });
  });
});

describe("toWeb: options", () => {
  test("a bad highWaterMark or options object throws InvalidOptionError at once", () => {
    const run = from([1]).run();
    const bad = (value: unknown): (() => unknown) => {
      return () => toWeb(run, { highWaterMark: value } as never);
    };
    assertInvalid(
      bad(-1),
      "Expected `toWeb.highWaterMark` to be an integer >= 0, got `-1` (number)",
      "toWeb.highWaterMark",
    );
    assertInvalid(
      bad("x"),
      'Expected `toWeb.highWaterMark` to be an integer >= 0, got `"x"` (string)',
      "toWeb.highWaterMark",
    );
    assertInvalid(
      bad(Number.POSITIVE_INFINITY),
      "Expected `toWeb.highWaterMark` to be an integer >= 0, got `Infinity` (number)",
      "toWeb.highWaterMark",
    );
    assertInvalid(
      () => toWeb(run, { highwatermark: 1 } as never),
      "Unknown option `toWeb.highwatermark`; did you mean `highWaterMark`? Known options: highWaterMark",
      "toWeb.highwatermark",
    );
    assertInvalid(
      () => toWeb(run, null as never),
      "Expected `toWeb` to be an options object, got `null` (null)",
      "toWeb",
    );
  });
});

function byNumber(a: number, b: number): number {
  return a - b;
}
