import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { from, isStageError, type RunSummary, StageError } from "../../src/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertNoLeaks } from "../helpers/resources.js";

/** What an endless source saw: how many items it yielded and whether its finally ran. */
interface SourceEvents {
  yielded: number;
  closed: boolean;
}

function events(): SourceEvents {
  return { yielded: 0, closed: false };
}

/** 0, 1, 2, ... for ever; counts what it yields and notes when its finally runs. */
function endless(seen: SourceEvents): () => Generator<number> {
  return function* () {
    try {
      for (let i = 0; ; i++) {
        seen.yielded++;
        yield i;
      }
    } finally {
      seen.closed = true;
    }
  };
}

function endlessAsync(seen: SourceEvents): () => AsyncGenerator<number> {
  return async function* () {
    try {
      for (let i = 0; ; i++) {
        seen.yielded++;
        yield i;
      }
    } finally {
      seen.closed = true;
    }
  };
}

/** A call that settles only when its signal aborts (then rejects with the reason). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return sleep(3_600_000, undefined, { signal }).then(() => {
    throw new Error("an hour passed");
  });
}

function counts(summary: RunSummary, stage: number) {
  const {
    in: entered,
    out,
    filtered,
    failed,
    cancelled,
    discarded,
    emitted,
  } = summary.stages[stage]!;
  return { in: entered, out, filtered, failed, cancelled, discarded, emitted };
}

describe("take", () => {
  test("passes the first n items, closes the source and completes", async () => {
    const seen = events();
    const run = from(endless(seen)).take(5).run();
    assert.deepEqual(await run.collect(), [0, 1, 2, 3, 4]);
    assert.ok(seen.closed, "the source's finally did not run");
    const summary = await run.settled;
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.error, undefined);
    const take = counts(summary, 0);
    assert.equal(take.in, 5);
    assert.equal(take.out, 5);
    assert.equal(take.emitted, 5);
    // Items the source had already handed over but take never needed are discarded.
    assert.equal(take.discarded, summary.pulled - 5);
    assert.equal(summary.pulled, seen.yielded);
    assertConserved(summary);
  });

  test("the stages after take finish normally: take, map, collect gets exactly n mapped values", async () => {
    await assertNoLeaks(async () => {
      const seen = events();
      const signals: AbortSignal[] = [];
      const run = from(endless(seen))
        .take(4)
        .map(
          async (x, ctx) => {
            signals.push(ctx.signal);
            await nextTurn();
            return x * 10;
          },
          { ordered: true, concurrency: 2 },
        )
        .run();
      assert.deepEqual(await run.collect(), [0, 10, 20, 30]);
      assert.ok(seen.closed);
      assert.equal(signals.length, 4);
      assert.ok(
        signals.every((signal) => !signal.aborted),
        "a stage after take saw its calls cancelled",
      );
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assert.deepEqual(counts(summary, 1), {
        in: 4,
        out: 4,
        filtered: 0,
        failed: 0,
        cancelled: 0,
        discarded: 0,
        emitted: 4,
      });
      assertConserved(summary);
    });
  });

  test("cancels the work in flight upstream: its ctx.signal aborts and it is counted as cancelled", async () => {
    await assertNoLeaks(async () => {
      const seen = events();
      let aborted = 0;
      const run = from(endlessAsync(seen))
        .map(
          (x, ctx) => {
            if (x < 3) return x;
            ctx.signal.addEventListener("abort", () => aborted++);
            return untilAborted(ctx.signal);
          },
          { concurrency: 4 },
        )
        .take(3)
        .run();
      assert.deepEqual((await run.collect()).sort(), [0, 1, 2]);
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assert.ok(seen.closed);
      const map = counts(summary, 0);
      // Items 3..n took the map's free places and waited; take ended with them in flight.
      assert.ok(aborted >= 1, "no in-flight call saw its signal abort");
      assert.equal(map.cancelled, aborted);
      assert.equal(map.out, 3);
      assert.equal(counts(summary, 1).in, 3);
      assertConserved(summary);
    });
  });

  test("the signal the source function gets aborts when take has all it needs", async () => {
    let sourceSignal: AbortSignal | undefined;
    const run = from(({ signal }) => {
      sourceSignal = signal;
      return endless(events())();
    })
      .take(2)
      .run();
    assert.deepEqual(await run.collect(), [0, 1]);
    assert.ok(sourceSignal?.aborted);
    assert.equal((await run.settled).outcome, "completed");
  });

  test("take(0) yields nothing and pulls nothing from a sync source", async () => {
    const seen = events();
    const run = from(endless(seen)).take(0).run();
    assert.deepEqual(await run.collect(), []);
    const summary = await run.settled;
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.pulled, 0);
    assert.equal(seen.yielded, 0);
    assert.equal(counts(summary, 0).in, 0);
    assertConserved(summary);
  });

  test("take(0) on an endless async source pulls at most one chunk and closes it", async () => {
    await assertNoLeaks(async () => {
      const seen = events();
      const run = from(endlessAsync(seen), { buffer: 4 }).take(0).run();
      assert.deepEqual(await run.collect(), []);
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assert.ok(summary.pulled <= 4, `pulled ${summary.pulled}`);
      assert.ok(seen.closed);
      assert.equal(counts(summary, 0).in, 0);
      assertConserved(summary);
    });
  });

  test("take(Infinity) passes everything", async () => {
    const input = Array.from({ length: 300 }, (_, i) => i);
    const run = from(input).take(Number.POSITIVE_INFINITY).run();
    assert.deepEqual(await run.collect(), input);
    const summary = await run.settled;
    assert.equal(summary.outcome, "completed");
    assert.equal(counts(summary, 0).in, 300);
    assertConserved(summary);
  });

  test("take(n) of a shorter input passes it all", async () => {
    assert.deepEqual(await from([1, 2, 3]).take(3).run().collect(), [1, 2, 3]);
    assert.deepEqual(await from([1, 2, 3]).take(10).run().collect(), [1, 2, 3]);
    assert.deepEqual(await from([]).take(10).run().collect(), []);
  });

  test("take on an endless async generator through async stages terminates", async () => {
    await assertNoLeaks(async () => {
      const seen = events();
      const run = from(endlessAsync(seen))
        .map(async (x) => x + 1, { concurrency: 8 })
        .filter(async (x) => x % 2 === 0, { concurrency: 3 })
        .take(10)
        .run();
      const values = await run.collect();
      assert.equal(values.length, 10);
      assert.ok(values.every((x) => x % 2 === 0));
      assert.ok(seen.closed);
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assertConserved(summary);
    });
  });

  test("the run ends even if a flatMap upstream expands an item endlessly", async () => {
    await assertNoLeaks(async () => {
      let innerClosed = false;
      const run = from([1, 2])
        .flatMap(function* (x) {
          try {
            for (let i = 0; ; i++) yield x * 100 + i;
          } finally {
            innerClosed = true;
          }
        })
        .take(3)
        .run();
      assert.deepEqual(await run.collect(), [100, 101, 102]);
      assert.ok(innerClosed, "the inner iterator was not closed");
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assertConserved(summary);
    });
  });

  test("take after take: the smaller count wins and both stages account for every item", async () => {
    const seen = events();
    const run = from(endless(seen)).take(5).take(2).run();
    assert.deepEqual(await run.collect(), [0, 1]);
    assert.ok(seen.closed);
    const summary = await run.settled;
    assert.equal(summary.outcome, "completed");
    assert.equal(counts(summary, 1).in, 2);
    assert.ok(counts(summary, 0).in <= 5);
    assertConserved(summary);
  });

  test("a failure after take still fails the run", async () => {
    const run = from(endless(events()))
      .take(3)
      .map((x) => {
        if (x === 1) throw new Error("one");
        return x;
      })
      .run();
    await assert.rejects(
      run.collect(),
      (error: unknown) => isStageError(error) && error.stage === "map#2" && error.index === 1,
    );
    const summary = await run.settled;
    assert.equal(summary.outcome, "failed");
    assertConserved(summary);
  });

  test("a consumer slower than take reads every taken item, in order, through a small buffer", async () => {
    const seen = events();
    const run = from(endless(seen), { buffer: 2 }).take(6, { buffer: 1 }).run();
    const values: number[] = [];
    for await (const value of run) {
      values.push(value);
      await nextTurn();
      // take holds at most one value ready, the source at most one chunk of 2.
      assert.ok(seen.yielded - values.length <= 4, `${seen.yielded} pulled`);
    }
    assert.deepEqual(values, [0, 1, 2, 3, 4, 5]);
    assert.ok(seen.closed);
    const summary = await run.settled;
    assert.equal(summary.outcome, "completed");
    assertConserved(summary);
  });

  test("a step stage before take calls its function for no item after take has ended", async () => {
    await assertNoLeaks(async () => {
      // The source hands over one chunk of 10; scan's buffer of 2 makes it work 2 items per
      // pass and hand them on at once, and take(2) ends inside that hand-over.
      const scanned: number[] = [];
      const keyed: number[] = [];
      const source = async function* () {
        for (let i = 0; i < 10; i++) yield i;
      };
      const run = from(source, { buffer: 10 })
        .scan(
          (acc, x) => {
            scanned.push(x);
            return acc + x;
          },
          0,
          { buffer: 2 },
        )
        .take(2)
        .run();
      assert.deepEqual(await run.collect(), [0, 1]);
      assert.deepEqual(scanned, [0, 1]);
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assert.equal(counts(summary, 0).in, 2);
      assertConserved(summary);

      const distinctRun = from(source, { buffer: 10 })
        .distinct(
          (x) => {
            keyed.push(x);
            return x;
          },
          { buffer: 2 },
        )
        .take(2)
        .run();
      assert.deepEqual(await distinctRun.collect(), [0, 1]);
      assert.deepEqual(keyed, [0, 1]);
      assertConserved(await distinctRun.settled);
    });
  });

  test("awaiting take then forEach processes exactly n items", async () => {
    await assertNoLeaks(async () => {
      const written: number[] = [];
      const summary = await from(endlessAsync(events()))
        .take(7)
        .forEach(async (x) => {
          await nextTurn();
          written.push(x);
        })
        .run();
      assert.equal(summary.outcome, "completed");
      assert.deepEqual(
        written.sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6],
      );
      assertConserved(summary);
    });
  });

  test("take(n) completes when the source fails only after the n-th item, as iterator helpers do", async () => {
    function* breaks(): Generator<number> {
      yield 1;
      yield 2;
      yield 3;
      throw new Error("past what take needs");
    }
    async function* breaksAsync(): AsyncGenerator<number> {
      yield* breaks();
    }
    for (const source of [breaks, breaksAsync]) {
      const run = from(source).take(2).run();
      assert.deepEqual(await run.collect(), [1, 2]);
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assertConserved(summary);
    }
  });

  test("rejects a count that is not an integer >= 0 or Infinity", () => {
    const cases: [unknown, string][] = [
      [-1, "`-1` (number)"],
      [1.5, "`1.5` (number)"],
      [Number.NaN, "`NaN` (number)"],
      [Number.NEGATIVE_INFINITY, "`-Infinity` (number)"],
      ["3", '`"3"` (string)'],
      [undefined, "`undefined` (undefined)"],
      [null, "`null` (null)"],
    ];
    for (const [count, shown] of cases) {
      assertInvalid(
        () => from([1]).take(count as number),
        `Expected \`take.count\` to be an integer >= 0 or Infinity, got ${shown}`,
        "take.count",
      );
    }
  });

  test("rejects bad options, naming them", () => {
    assertInvalid(
      () => from([1]).take(1, { buffer: 0 }),
      "Expected `take.buffer` to be an integer >= 1, got `0` (number)",
      "take.buffer",
    );
    assertInvalid(
      () => from([1]).take(1, { bufer: 2 } as never),
      "Unknown option `take.bufer`; did you mean `buffer`? Known options: name, buffer",
      "take.bufer",
    );
  });

  test("is described in .stages with its count, and named by its position", async () => {
    const pipeline = from([1, 2, 3])
      .map((x) => x)
      .take(2)
      .drop(1, { name: "skip" });
    assert.deepEqual(pipeline.stages.slice(1), [
      { name: "take#2", kind: "take", buffer: 128, count: 2 },
      { name: "skip", kind: "drop", buffer: 128, count: 1 },
    ]);
    const summary = await pipeline.run().drain();
    assert.equal(summary.stages[1]!.name, "take#2");
    assert.equal(summary.stages[1]!.concurrency, 1);
    assert.equal(summary.stages[1]!.ordered, true);
  });
});

describe("drop", () => {
  test("skips the first n, counted as filtered, and passes the rest", async () => {
    const run = from([1, 2, 3, 4, 5]).drop(2).run();
    assert.deepEqual(await run.collect(), [3, 4, 5]);
    const summary = await run.settled;
    assert.deepEqual(counts(summary, 0), {
      in: 5,
      out: 3,
      filtered: 2,
      failed: 0,
      cancelled: 0,
      discarded: 0,
      emitted: 3,
    });
    assertConserved(summary);
  });

  test("drop(0) passes everything; dropping more than there is passes nothing", async () => {
    assert.deepEqual(await from([1, 2]).drop(0).run().collect(), [1, 2]);
    const run = from([1, 2]).drop(5).run();
    assert.deepEqual(await run.collect(), []);
    assert.equal(counts(await run.settled, 0).filtered, 2);
  });

  test("drop(Infinity) reads the whole input and passes nothing", async () => {
    const input = Array.from({ length: 500 }, (_, i) => i);
    const run = from(input).drop(Number.POSITIVE_INFINITY).run();
    assert.deepEqual(await run.collect(), []);
    const summary = await run.settled;
    assert.equal(summary.pulled, 500);
    assert.equal(counts(summary, 0).filtered, 500);
    assertConserved(summary);
  });

  test("counts across chunks: drop then take of an endless source", async () => {
    const seen = events();
    const run = from(endless(seen), { buffer: 3 }).drop(7).take(2).run();
    assert.deepEqual(await run.collect(), [7, 8]);
    assert.ok(seen.closed);
    const summary = await run.settled;
    assert.equal(summary.outcome, "completed");
    assert.equal(counts(summary, 0).filtered, 7);
    assertConserved(summary);
  });

  test("counts the items of its own input, after an unordered async stage", async () => {
    await assertNoLeaks(async () => {
      const run = from([1, 2, 3, 4, 5, 6])
        .map(async (x) => {
          await nextTurn();
          return x;
        })
        .drop(4)
        .run();
      const rest = await run.collect();
      assert.equal(rest.length, 2);
      assertConserved(await run.settled);
    });
  });

  test("rejects a count that is not an integer >= 0 or Infinity, as drop.count", () => {
    assertInvalid(
      () => from([1]).drop(-1),
      "Expected `drop.count` to be an integer >= 0 or Infinity, got `-1` (number)",
      "drop.count",
    );
    assertInvalid(
      () => from([1]).drop("2" as never),
      'Expected `drop.count` to be an integer >= 0 or Infinity, got `"2"` (string)',
      "drop.count",
    );
  });
});

describe("scan", () => {
  test("emits the running accumulator for each item, in order", async () => {
    const run = from([1, 2, 3, 4])
      .scan((sum, x) => sum + x, 0)
      .run();
    assert.deepEqual(await run.collect(), [1, 3, 6, 10]);
    const summary = await run.settled;
    assert.deepEqual(counts(summary, 0), {
      in: 4,
      out: 4,
      filtered: 0,
      failed: 0,
      cancelled: 0,
      discarded: 0,
      emitted: 4,
    });
    assertConserved(summary);
  });

  test("calls fn with the accumulator, the item and its index in the stage's input", async () => {
    const calls: [string, string, number][] = [];
    const values = await from(["a", "skip", "b", "c"])
      .filter((x) => x !== "skip")
      .scan((acc, item, index) => {
        calls.push([acc, item, index]);
        return acc + item;
      }, ">")
      .run()
      .collect();
    assert.deepEqual(values, [">a", ">ab", ">abc"]);
    assert.deepEqual(calls, [
      [">", "a", 0],
      [">a", "b", 1],
      [">ab", "c", 2],
    ]);
  });

  test("an empty input emits nothing, not even the initial value", async () => {
    const run = from([])
      .scan((acc: number, x: number) => acc + x, 100)
      .run();
    assert.deepEqual(await run.collect(), []);
    assert.equal((await run.settled).outcome, "completed");
  });

  test("each run starts again from the initial value", async () => {
    const pipeline = from([1, 2, 3]).scan((acc, x) => [...acc, x], [] as number[]);
    assert.deepEqual(await pipeline.run().collect(), [[1], [1, 2], [1, 2, 3]]);
    assert.deepEqual(await pipeline.run().collect(), [[1], [1, 2], [1, 2, 3]]);
  });

  test("keeps order after an unordered async stage: the fold follows its own input", async () => {
    await assertNoLeaks(async () => {
      const run = from([5, 1, 4, 2, 3])
        .map(
          async (x) => {
            await sleep(x);
            return x;
          },
          { concurrency: 5 },
        )
        .scan((acc, x) => [...acc, x], [] as number[])
        .run();
      const states = await run.collect();
      assert.equal(states.length, 5);
      // Each state extends the one before: one running fold, whatever the order of arrival.
      for (let i = 1; i < states.length; i++) {
        assert.deepEqual(states[i]!.slice(0, i), states[i - 1]);
      }
      assert.deepEqual([...states[4]!].sort(), [1, 2, 3, 4, 5]);
    });
  });

  test("a throw fails the run with a StageError naming scan#<position>, the item and the cause", async () => {
    await assertNoLeaks(async () => {
      const seen = events();
      const boom = new Error("boom");
      const run = from(endlessAsync(seen))
        .map(async (x) => x, { ordered: true })
        .scan((acc, x) => {
          if (x === 6) throw boom;
          return acc + x;
        }, 0)
        .run();
      await assert.rejects(run.collect(), (error: unknown) => {
        assert.ok(error instanceof StageError);
        assert.equal(error.stage, "scan#2");
        assert.equal(error.cause, boom);
        assert.equal(error.item, 6);
        assert.equal(error.index, 6);
        assert.match(error.message, /^Stage "scan#2" failed on item #6 `[^`]*`: /);
        return true;
      });
      assert.ok(seen.closed);
      const summary = await run.settled;
      assert.equal(summary.outcome, "failed");
      assert.equal(counts(summary, 1).failed, 1);
      assertConserved(summary);
    });
  });

  test("a source that throws: scan is called for the items a map would be called for, and no more", async () => {
    function* breaks(): Generator<number> {
      yield 1;
      yield 2;
      yield 3;
      throw new Error("source broke");
    }
    const mapped: number[] = [];
    const mapRun = from(breaks)
      .map((x) => {
        mapped.push(x);
        return x;
      })
      .run();
    await assert.rejects(mapRun.collect(), /source broke/);
    const scanned: number[] = [];
    const scanRun = from(breaks)
      .scan((acc, x) => {
        scanned.push(x);
        return acc + x;
      }, 0)
      .run();
    await assert.rejects(scanRun.collect(), /source broke/);
    // The run has failed by the time the chunk read with the throw reaches the stage.
    assert.deepEqual(scanned, mapped);
    const summary = await scanRun.settled;
    assert.equal(summary.outcome, "failed");
    assert.equal(counts(summary, 0).in, counts(await mapRun.settled, 0).in);
    assertConserved(summary);
  });

  test("a custom name is the stage name in its errors", async () => {
    const run = from([1])
      .scan(
        () => {
          throw new Error("x");
        },
        0,
        { name: "running-total" },
      )
      .run();
    await assert.rejects(
      run.drain(),
      (error: unknown) => isStageError(error) && error.stage === "running-total",
    );
  });

  test("fn returning a Promise fails the run with a TypeError cause: it must be synchronous", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const asyncFold = (async (acc: number, x: number) => {
        throw new Error(`rejected ${acc + x}`);
      }) as unknown as (acc: number, x: number) => number;
      const run = from([1, 2, 3]).scan(asyncFold, 0).run();
      await assert.rejects(run.collect(), (error: unknown) => {
        assert.ok(isStageError(error));
        assert.equal(error.stage, "scan#1");
        assert.equal(error.index, 0);
        assert.ok(error.cause instanceof TypeError);
        assert.match((error.cause as TypeError).message, /synchronously/);
        assert.match((error.cause as TypeError).message, /Promise/);
        return true;
      });
      const summary = await run.settled;
      assert.equal(summary.outcome, "failed");
      assertConserved(summary);
      await nextTurn();
      assert.deepEqual(unhandled, [], "the returned promise's rejection went unhandled");
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  test("rejects a fn that is not a function, as scan.fn", () => {
    assertInvalid(
      () => from([1]).scan(42 as never, 0),
      "Expected `scan.fn` to be a function, got `42` (number)",
      "scan.fn",
    );
    assertInvalid(
      () => from([1]).scan((a) => a, 0, { limit: 3 } as never),
      "Unknown option `scan.limit`. Known options: name, buffer",
      "scan.limit",
    );
  });
});

describe("distinct", () => {
  test("keeps the first occurrence of each value; the rest are filtered", async () => {
    const run = from([3, 1, 3, 2, 1, 3]).distinct().run();
    assert.deepEqual(await run.collect(), [3, 1, 2]);
    const summary = await run.settled;
    assert.deepEqual(counts(summary, 0), {
      in: 6,
      out: 3,
      filtered: 3,
      failed: 0,
      cancelled: 0,
      discarded: 0,
      emitted: 3,
    });
    assertConserved(summary);
  });

  test("compares with SameValueZero: NaN equals NaN, -0 equals 0", async () => {
    const values = await from([Number.NaN, 0, Number.NaN, -0, 1, 0]).distinct().run().collect();
    assert.equal(values.length, 3);
    assert.ok(Number.isNaN(values[0]));
    assert.ok(Object.is(values[1], 0));
    assert.equal(values[2], 1);
    const negativeFirst = await from([-0, 0]).distinct().run().collect();
    assert.equal(negativeFirst.length, 1);
    assert.ok(Object.is(negativeFirst[0], -0), "the first occurrence is the one kept");
  });

  test("objects are distinct by identity unless a key says otherwise", async () => {
    const a = { id: 1 };
    const b = { id: 1 };
    assert.deepEqual(await from([a, b, a]).distinct().run().collect(), [a, b]);
    const byId = await from([a, b, { id: 2 }])
      .distinct((item) => item.id)
      .run()
      .collect();
    assert.equal(byId.length, 2);
    assert.equal(byId[0], a);
    assert.equal(byId[1]!.id, 2);
  });

  test("with a limit, the key seen least recently is forgotten first", async () => {
    // limit 2: 1, 2 pass; 1 is seen again (now the most recent); 3 passes and 2 is
    // forgotten; 1 is still remembered; 2 passes again. First-in-first-out would forget 1.
    const run = from([1, 2, 1, 3, 1, 2]).distinct(undefined, { limit: 2 }).run();
    assert.deepEqual(await run.collect(), [1, 2, 3, 2]);
    const summary = await run.settled;
    assert.equal(counts(summary, 0).filtered, 2);
    assertConserved(summary);
  });

  test("with a limit, an old key passes again once enough new keys came", async () => {
    assert.deepEqual(
      await from([1, 2, 3, 1]).distinct(undefined, { limit: 2 }).run().collect(),
      [1, 2, 3, 1],
    );
    assert.deepEqual(
      await from([1, 2, 3, 1]).distinct(undefined, { limit: 3 }).run().collect(),
      [1, 2, 3],
    );
  });

  test("limit 1 drops only repeats in a row", async () => {
    assert.deepEqual(
      await from([1, 1, 2, 2, 2, 1, 3, 3, 1]).distinct(undefined, { limit: 1 }).run().collect(),
      [1, 2, 1, 3, 1],
    );
  });

  test("remembers keys across chunks and runs forget them", async () => {
    const input = Array.from({ length: 1_000 }, (_, i) => i % 250);
    const pipeline = from(input, { buffer: 7 }).distinct();
    const expected = Array.from({ length: 250 }, (_, i) => i);
    assert.deepEqual(await pipeline.run().collect(), expected);
    assert.deepEqual(await pipeline.run().collect(), expected);
  });

  test("a key function that throws fails the run with a StageError", async () => {
    await assertNoLeaks(async () => {
      const seen = events();
      const oops = new Error("no key");
      const run = from(endlessAsync(seen))
        .distinct((x) => {
          if (x === 4) throw oops;
          return x % 2;
        })
        .run();
      await assert.rejects(run.collect(), (error: unknown) => {
        assert.ok(isStageError(error));
        assert.equal(error.stage, "distinct#1");
        assert.equal(error.cause, oops);
        assert.equal(error.item, 4);
        assert.equal(error.index, 4);
        return true;
      });
      assert.ok(seen.closed);
      const summary = await run.settled;
      assert.equal(summary.outcome, "failed");
      assert.equal(counts(summary, 0).failed, 1);
      assertConserved(summary);
    });
  });

  test("rejects a limit that is not an integer >= 1, and a key that is not a function", () => {
    const cases: [unknown, string][] = [
      [0, "`0` (number)"],
      [-1, "`-1` (number)"],
      [1.5, "`1.5` (number)"],
      [Number.NaN, "`NaN` (number)"],
      ["2", '`"2"` (string)'],
    ];
    for (const [limit, shown] of cases) {
      assertInvalid(
        () => from([1]).distinct(undefined, { limit: limit as number }),
        `Expected \`distinct.limit\` to be an integer >= 1, got ${shown}`,
        "distinct.limit",
      );
    }
    assertInvalid(
      () => from([1]).distinct("id" as never),
      'Expected `distinct.key` to be a function, got `"id"` (string)',
      "distinct.key",
    );
  });

  test("is described in .stages with its limit when bounded", () => {
    assert.deepEqual(from([1]).distinct().stages, [
      { name: "distinct#1", kind: "distinct", buffer: 128 },
    ]);
    assert.deepEqual(from([1]).distinct(undefined, { limit: 5, buffer: 4 }).stages, [
      { name: "distinct#1", kind: "distinct", buffer: 4, limit: 5 },
    ]);
  });
});

describe("step stages together", () => {
  test("drop, distinct, scan and take chain in order and conserve every item", async () => {
    await assertNoLeaks(async () => {
      const seen = events();
      const run = from(endlessAsync(seen))
        .map(async (x) => x % 10, { ordered: true, concurrency: 4 })
        .drop(3)
        .distinct()
        .scan((acc, x) => acc + x, 0)
        .take(5)
        .run();
      // 3..9 are distinct after dropping 0, 1, 2: 3, 4, 5, 6, 7 fold to 3, 7, 12, 18, 25.
      assert.deepEqual(await run.collect(), [3, 7, 12, 18, 25]);
      assert.ok(seen.closed);
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assertConserved(summary);
    });
  });
});
