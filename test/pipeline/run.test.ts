import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import {
  CancelledError,
  from,
  isCancelledError,
  isRunConsumedError,
  isSourceError,
  isStageError,
  RunConsumedError,
  StageError,
} from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertNoLeaks } from "../helpers/resources.js";

const never = (signal: AbortSignal): Promise<never> =>
  sleep(3_600_000, undefined, { signal }).then(() => {
    throw new Error("an hour passed");
  });

describe("consuming a run", () => {
  test("collect() resolves every output", async () => {
    assert.deepEqual(
      await from([1, 2, 3])
        .map((x) => x * 10)
        .run()
        .collect(),
      [10, 20, 30],
    );
  });

  test("drain() resolves a summary with per-stage counts and timing", async () => {
    const summary = await from([1, 2, 3, 4])
      .filter((x) => x % 2 === 0, { name: "evens" })
      .forEach(() => {})
      .run()
      .drain();
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.pulled, 4);
    assert.deepEqual(
      summary.stages.map(({ name, in: entered, out, filtered }) => ({
        name,
        entered,
        out,
        filtered,
      })),
      [
        { name: "evens", entered: 4, out: 2, filtered: 2 },
        { name: "forEach#2", entered: 2, out: 2, filtered: 0 },
      ],
    );
    assert.ok(summary.durationMs >= 0);
    assertConserved(summary);
  });

  test("for await yields every output and the run then settles as completed", async () => {
    const run = from([1, 2, 3])
      .map(async (x) => x + 1)
      .run();
    const seen: number[] = [];
    for await (const value of run) seen.push(value);
    assert.deepEqual(seen.sort(), [2, 3, 4]);
    assert.equal((await run.settled).outcome, "completed");
  });

  test("a pipeline without stages yields its source", async () => {
    assert.deepEqual(
      await from(new Set([1, 2]))
        .run()
        .collect(),
      [1, 2],
    );
  });

  test("an empty source completes with zero counts", async () => {
    const summary = await from([])
      .map((x) => x)
      .run()
      .drain();
    assert.equal(summary.pulled, 0);
    assert.equal(summary.stages[0]!.in, 0);
  });

  test("a definition runs many times, each run independent", async () => {
    let opened = 0;
    const pipeline = from(() => {
      opened++;
      return [1, 2, 3];
    }).map((x) => x * 2);
    assert.deepEqual(await pipeline.run().collect(), [2, 4, 6]);
    assert.deepEqual(await pipeline.run().collect(), [2, 4, 6]);
    assert.equal(opened, 2);
  });

  test("a run starts on first consumption, not when run() is called", async () => {
    let opened = 0;
    const run = from(() => {
      opened++;
      return [1];
    }).run();
    await sleep(1);
    assert.equal(opened, 0);
    await run.drain();
    assert.equal(opened, 1);
  });

  test("stats() reports progress while the run is going", async () => {
    const run = from([1, 2, 3])
      .map(async (x) => x, { name: "slow" })
      .run();
    assert.equal(run.stats().outcome, "running");
    const first = await run.next();
    assert.equal(first.done, false);
    assert.ok(run.stats().stages[0]!.in >= 1);
    await run.drain();
    assert.equal(run.stats().outcome, "completed");
  });

  test("operators return new pipelines and leave the original unchanged", async () => {
    const base = from([1, 2, 3]);
    const doubled = base.map((x) => x * 2);
    assert.notEqual(base, doubled);
    assert.equal(base.stages.length, 0);
    assert.equal(doubled.stages.length, 1);
    assert.deepEqual(await base.run().collect(), [1, 2, 3]);
  });
});

describe('onError: "fail"', () => {
  test("the first error fails the run with a StageError carrying the item, index and cause", async () => {
    const cause = new Error("boom");
    const error = await from(["a", "b", "c"])
      .map(
        (x) => {
          if (x === "b") throw cause;
          return x;
        },
        { name: "upper", concurrency: 1 },
      )
      .run()
      .collect()
      .then(
        () => assert.fail("expected a rejection"),
        (thrown: unknown) => thrown,
      );
    assert.ok(error instanceof StageError);
    assert.ok(isStageError(error));
    assert.equal(error.code, "ERR_SLUICE_STAGE_FAILED");
    assert.equal(error.stage, "upper");
    assert.equal(error.item, "b");
    assert.equal(error.index, 1);
    assert.equal(error.cause, cause);
    assert.match(error.message, /Stage "upper" failed on item #1 `"b"`: boom/);
  });

  test("a sync throw and an async rejection are handled alike", async () => {
    for (const fn of [
      (x: number) => {
        if (x === 2) throw new Error("sync");
        return x;
      },
      async (x: number) => {
        if (x === 2) throw new Error("async");
        return x;
      },
    ]) {
      const summary = await from([1, 2, 3])
        .map(fn, { concurrency: 1 })
        .run()
        .drain()
        .catch(() => undefined);
      assert.equal(summary, undefined);
    }
  });

  test("the failure aborts every in-flight item's signal and the run waits for them", async () => {
    await assertNoLeaks(async () => {
      const aborted: number[] = [];
      const run = from([0, 1, 2, 3, 4, 5])
        .map(
          async (x, ctx) => {
            if (x === 5) throw new Error("fail fast");
            try {
              return await never(ctx.signal);
            } finally {
              if (ctx.signal.aborted) aborted.push(x);
            }
          },
          { concurrency: 6 },
        )
        .run();
      await assert.rejects(
        run.drain(),
        (error: unknown) => isStageError(error) && error.item === 5,
      );
      assert.deepEqual(aborted.sort(), [0, 1, 2, 3, 4]);
      const summary = await run.settled;
      assert.equal(summary.outcome, "failed");
      assert.equal(summary.stages[0]!.failed, 1);
      assert.equal(summary.stages[0]!.cancelled, 5);
      assertConserved(summary);
    });
  });

  test("a failing run stops pulling its source", async () => {
    let pulled = 0;
    const run = from(function* () {
      for (let i = 0; i < 1_000_000; i++) {
        pulled++;
        yield i;
      }
    }).map(
      (x) => {
        if (x === 10) throw new Error("stop");
        return x;
      },
      { concurrency: 1, buffer: 1 },
    );
    await assert.rejects(run.run().drain(), isStageError);
    assert.ok(pulled < 1_000, `pulled ${pulled}`);
  });
});

describe('onError: "skip"', () => {
  test("drops failing items, counts them and calls deadLetter with item, error and ctx", async () => {
    const dead: [number, string, string][] = [];
    const run = from([1, 2, 3, 4])
      .map(
        (x) => {
          if (x % 2 === 0) throw new Error(`bad ${x}`);
          return x;
        },
        {
          name: "odd",
          onError: "skip",
          deadLetter: (item, error, ctx) => {
            dead.push([item, (error as Error).message, ctx.stage]);
          },
        },
      )
      .run();
    assert.deepEqual((await run.collect()).sort(), [1, 3]);
    assert.deepEqual(
      dead.sort((a, b) => a[0] - b[0]),
      [
        [2, "bad 2", "odd"],
        [4, "bad 4", "odd"],
      ],
    );
    const summary = await run.settled;
    assert.equal(summary.stages[0]!.failed, 2);
    assertConserved(summary);
  });

  test("an async deadLetter is awaited before the worker moves on", async () => {
    const order: string[] = [];
    await from([1])
      .map(
        () => {
          throw new Error("x");
        },
        {
          onError: "skip",
          deadLetter: async () => {
            await sleep(1);
            order.push("dead-letter done");
          },
        },
      )
      .run()
      .drain();
    order.push("run done");
    assert.deepEqual(order, ["dead-letter done", "run done"]);
  });

  test("a deadLetter that throws fails the run", async () => {
    await assert.rejects(
      from([1])
        .map(
          () => {
            throw new Error("x");
          },
          {
            name: "s",
            onError: "skip",
            deadLetter: () => {
              throw new Error("dead letter broke");
            },
          },
        )
        .run()
        .drain(),
      (error: unknown) =>
        isStageError(error) &&
        /deadLetter threw on item #0 `[^`]*`: dead letter broke/.test(error.message),
    );
  });

  test("ordered skipping keeps the order of the survivors", async () => {
    const out = await from([5, 4, 3, 2, 1, 0])
      .map(
        async (x) => {
          await sleep(x);
          if (x === 3) throw new Error("no 3");
          return x;
        },
        { ordered: true, onError: "skip", concurrency: 6 },
      )
      .run()
      .collect();
    assert.deepEqual(out, [5, 4, 2, 1, 0]);
  });
});

describe('onError: "collect"', () => {
  test("emits results for successes and failures and never aborts", async () => {
    const results = await from([1, 2, 3])
      .map(
        (x) => {
          if (x === 2) throw new Error("two");
          return x * 10;
        },
        { onError: "collect", ordered: true },
      )
      .run()
      .collect();
    assert.equal(results.length, 3);
    assert.deepEqual(results[0], { ok: true, value: 10 });
    assert.equal(results[1]!.ok, false);
    if (!results[1]!.ok) {
      assert.equal(results[1]!.item, 2);
      assert.equal((results[1]!.error as Error).message, "two");
    }
    assert.deepEqual(results[2], { ok: true, value: 30 });
  });

  test("forEach with collect emits only the failures", async () => {
    const failures = await from([1, 2, 3])
      .forEach(
        (x) => {
          if (x !== 2) return;
          throw new Error("two");
        },
        { onError: "collect" },
      )
      .run()
      .collect();
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.item, 2);
  });
});

describe("cancellation", () => {
  test("cancel(reason) stops the run; consumers throw CancelledError with the reason as cause", async () => {
    await assertNoLeaks(async () => {
      const run = from(function* () {
        for (let i = 0; ; i++) yield i;
      })
        .map((x, ctx) => (x < 3 ? x : never(ctx.signal)), { concurrency: 4 })
        .run();
      const reason = new Error("user stop");
      const draining = run.drain();
      await sleep(1);
      const summary = await run.cancel(reason);
      const error = await draining.catch((thrown: unknown) => thrown);
      assert.ok(error instanceof CancelledError);
      assert.equal(error.cause, reason);
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, reason);
      assertConserved(summary);
    });
  });

  test("aborting the run's signal cancels it and aborts ctx.signal of items in flight", async () => {
    await assertNoLeaks(async () => {
      const controller = new AbortController();
      let sawAbort = false;
      const run = from([1, 2, 3])
        .map(
          async (_x, ctx) => {
            ctx.signal.addEventListener("abort", () => {
              sawAbort = true;
            });
            return never(ctx.signal);
          },
          { concurrency: 3 },
        )
        .run({ signal: controller.signal });
      const draining = run.drain();
      await sleep(1);
      controller.abort(new Error("abort"));
      await assert.rejects(draining, isCancelledError);
      assert.ok(sawAbort);
    });
  });

  test("a signal aborted before the run starts cancels it without opening the source", async () => {
    await assertNoLeaks(async () => {
      let opened = false;
      const run = from(() => {
        opened = true;
        return [1];
      }).run({ signal: AbortSignal.abort(new Error("early")) });
      await assert.rejects(run.collect(), isCancelledError);
      assert.equal(opened, false);
    });
  });

  test("breaking out of for await cancels quietly and closes the source", async () => {
    await assertNoLeaks(async () => {
      let closed = false;
      const run = from(async function* () {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          closed = true;
        }
      })
        .map(async (x) => x)
        .run();
      for await (const value of run) if (value >= 10) break;
      assert.ok(closed);
      const summary = await run.settled;
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.error, undefined);
      assertConserved(summary);
    });
  });

  test("cancel() after the run completed changes nothing", async () => {
    await assertNoLeaks(async () => {
      const run = from([1]).run();
      await run.drain();
      const summary = await run.cancel();
      assert.equal(summary.outcome, "completed");
    });
  });

  test("a call that ignores its signal is abandoned: the consumer rejects at once and the late result is dropped", async () => {
    await assertNoLeaks(async () => {
      let release!: () => void;
      const stuck = new Promise<void>((resolve) => {
        release = resolve;
      });
      const run = from([1, 2, 3])
        .map(
          async (x) => {
            if (x === 1) await stuck; // never looks at ctx.signal
            return x;
          },
          { concurrency: 1 },
        )
        .run();
      const draining = run.drain();
      await nextTurn();
      const summary = await run.cancel(new Error("enough"));
      await assert.rejects(draining, (error: unknown) => isCancelledError(error));
      assert.equal(summary.outcome, "cancelled");
      assert.equal(summary.stages[0]!.abandoned, 1);
      assert.equal(summary.stages[0]!.cancelled, 1);
      assert.equal(summary.stages[0]!.inFlight, 0);
      assertConserved(summary);
      release();
      await nextTurn();
      assert.deepEqual(
        (await run.settled).stages,
        summary.stages,
        "the late result changes nothing",
      );
    });
  });
});

describe("a run is consumed once", () => {
  const run = () =>
    from([1, 2, 3])
      .map(async (x) => x)
      .run();

  test("a second collect() rejects at once with RunConsumedError, saying how to get results twice", async () => {
    const first = run();
    assert.deepEqual((await first.collect()).sort(), [1, 2, 3]);
    await assert.rejects(first.collect(), (error: unknown) => {
      assert.ok(isRunConsumedError(error));
      assert.ok(error instanceof RunConsumedError);
      assert.equal(error.code, "ERR_SLUICE_RUN_CONSUMED");
      assert.equal(error.consumer, "collect()");
      assert.match(error.message, /collect\(\) once/);
      assert.match(error.message, /pipeline\.run\(\) again/);
      return true;
    });
  });

  test("two concurrent collect() calls: the second rejects, the first gets everything", async () => {
    const shared = run();
    const [first, second] = await Promise.allSettled([shared.collect(), shared.collect()]);
    assert.equal(first.status, "fulfilled");
    assert.deepEqual(first.value.sort(), [1, 2, 3]);
    assert.equal(second.status, "rejected");
    assert.ok(isRunConsumedError(second.reason));
  });

  test("a second for await throws, and so does drain() after iterating", async () => {
    const iterated = run();
    for await (const _ of iterated) void _;
    assert.throws(
      () => iterated[Symbol.asyncIterator](),
      (error: unknown) => isRunConsumedError(error),
    );
    await assert.rejects(iterated.drain(), (error: unknown) => isRunConsumedError(error));
    assert.equal((await iterated.settled).delivered, 3);
  });

  test("next() for the first outputs, then one terminal for the rest: nothing is read twice", async () => {
    const header = from(["h", "a", "b"]).run();
    assert.deepEqual(await header.next(), { done: false, value: "h" });
    assert.deepEqual(await header.collect(), ["a", "b"]);
    await assert.rejects(header.drain(), (error: unknown) => isRunConsumedError(error));
  });
});

describe("awaiting a run", () => {
  test("await p.forEach(fn).run() processes every item and resolves to the summary", async () => {
    const written: number[] = [];
    const summary = await from([1, 2, 3])
      .forEach(async (x) => {
        await nextTurn();
        written.push(x);
      })
      .run();
    assert.deepEqual(written.sort(), [1, 2, 3]);
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.stages[0]!.out, 3);
    assert.equal(summary.consumed, 3, "what the sink consumed, not delivered 0");
    assert.equal(summary.delivered, 0);
  });

  test("awaiting a failing run rejects with its StageError, as drain() would", async () => {
    await assert.rejects(
      async () =>
        await from([1, 2])
          .forEach((x) => {
            if (x === 2) throw new Error("two");
          })
          .run(),
      (error: unknown) => isStageError(error) && error.index === 1,
    );
  });

  test("awaiting a run another consumer reads waits for its outcome instead of failing", async () => {
    const shared = from([1, 2, 3])
      .map(async (x) => x)
      .run();
    const [values, summary] = await Promise.all([shared.collect(), Promise.resolve(shared)]);
    assert.deepEqual(values.sort(), [1, 2, 3]);
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.delivered, 3);
  });

  test("a run that is never consumed never starts", async () => {
    let opened = 0;
    from(() => {
      opened++;
      return [1];
    }).run();
    await nextTurn();
    assert.equal(opened, 0);
  });
});

describe("source cleanup errors", () => {
  const cleanup = new Error("finally failed");
  function* failingCleanup(): Generator<number> {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      // eslint-disable-next-line no-unsafe-finally -- the trap under test
      throw cleanup;
    }
  }

  test("break rethrows the error the source's return() threw, with it as cause", async () => {
    await assert.rejects(
      async () => {
        for await (const value of from(failingCleanup).run()) if (value === 2) break;
      },
      (error: unknown) =>
        isSourceError(error) &&
        error.cleanup &&
        error.cause === cleanup &&
        /return\(\)/.test(error.message),
    );
  });

  test("cancel() and drain() report it in the outcome", async () => {
    const run = from(failingCleanup)
      .map(async (x) => x)
      .run();
    const draining = run.drain();
    await nextTurn();
    const summary = await run.cancel(new Error("stop"));
    assert.equal(summary.outcome, "failed");
    assert.ok(isSourceError(summary.error) && summary.error.cause === cleanup);
    await assert.rejects(draining, (error: unknown) => error === summary.error);
  });

  test("an async generator's failing finally reaches the consumer too", async () => {
    async function* source(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        // eslint-disable-next-line no-unsafe-finally -- the trap under test
        throw cleanup;
      }
    }
    await assert.rejects(
      from(source).take(3).run().collect(),
      (error: unknown) => isSourceError(error) && error.cause === cleanup,
    );
  });
});
