import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import {
  from,
  isInvalidOptionError,
  isRunConsumedError,
  isSourceError,
  isStageError,
  type Run,
  RunConsumedError,
  type RunSummary,
  StageError,
} from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertNoLeaks } from "../helpers/resources.js";

/** Whether an endless source's finally ran. */
interface SourceEvents {
  closed: boolean;
}

type Endless = (events: SourceEvents) => () => Iterable<number> | AsyncIterable<number>;

const endlessSources: [string, Endless][] = [
  [
    "sync generator",
    (events) =>
      function* () {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          events.closed = true;
        }
      },
  ],
  [
    "async generator",
    (events) =>
      async function* () {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          events.closed = true;
        }
      },
  ],
];

function isConsumed(consumer: string) {
  return (error: unknown): boolean => {
    assert.ok(isRunConsumedError(error));
    assert.ok(error instanceof RunConsumedError);
    assert.equal(error.code, "ERR_SLUICE_RUN_CONSUMED");
    assert.equal(error.consumer, consumer);
    return true;
  };
}

function isInvalidFn(option: string, shown: string) {
  return (error: unknown): boolean => {
    assert.ok(isInvalidOptionError(error));
    assert.ok(error instanceof TypeError);
    assert.equal(error.option, option);
    assert.equal(error.message, `Expected \`${option}\` to be a function, got ${shown}`);
    return true;
  };
}

/** A run over 1..n through an async, ordered map, so every terminal sees async work. */
function numbers(n: number): Run<number> {
  return from(Array.from({ length: n }, (_, i) => i + 1))
    .map(
      async (x) => {
        await nextTurn();
        return x;
      },
      { ordered: true, concurrency: 4 },
    )
    .run();
}

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await nextTurn();
}

async function settledCompleted(run: Run<unknown>): Promise<RunSummary> {
  const summary = await run.settled;
  assert.equal(summary.outcome, "completed");
  assertConserved(summary);
  return summary;
}

describe("reduce", () => {
  test("folds every output in order from the initial value", async () => {
    await assertNoLeaks(async () => {
      const run = numbers(5);
      assert.deepEqual(await run.reduce((acc: number[], x) => [...acc, x], []), [1, 2, 3, 4, 5]);
      await settledCompleted(run);
    });
  });

  test("without an initial value starts from the first output", async () => {
    const calls: [number, number][] = [];
    const total = await numbers(4).reduce((acc, x) => {
      calls.push([acc, x]);
      return acc + x;
    });
    assert.equal(total, 10);
    assert.deepEqual(calls, [
      [1, 2],
      [3, 3],
      [6, 4],
    ]);
    assert.equal(await from([7]).run().reduce(assert.fail), 7);
  });

  test("an empty run without an initial value rejects with a TypeError; with one, resolves it", async () => {
    await assert.rejects(
      from<number>([])
        .run()
        .reduce((a, b) => a + b),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.equal(error.message, "Reduce of an empty run with no initial value");
        return true;
      },
    );
    assert.equal(
      await from<number>([])
        .run()
        .reduce((a, b) => a + b, 42),
      42,
    );
    assert.equal(
      await from<number>([])
        .run()
        .reduce((a: unknown) => a, undefined),
      undefined,
    );
  });

  test("awaits an async reducer before the next value", async () => {
    await assertNoLeaks(async () => {
      let inside = 0;
      let most = 0;
      const result = await numbers(6).reduce(async (acc: string, x) => {
        most = Math.max(most, ++inside);
        await nextTurn();
        inside--;
        return `${acc}${x}`;
      }, "");
      assert.equal(result, "123456");
      assert.equal(most, 1, "reducer calls overlapped");
    });
  });

  test("a reducer that throws rejects with that error, stops the source and leaks nothing", async () => {
    for (const [kind, source] of endlessSources) {
      await assertNoLeaks(async () => {
        const events = { closed: false };
        const boom = new Error(`boom (${kind})`);
        const run = from(source(events))
          .map(async (x) => x, { concurrency: 4 })
          .run();
        await assert.rejects(
          run.reduce((acc, x) => {
            if (x >= 20) throw boom;
            return acc + x;
          }, 0),
          (error: unknown) => error === boom,
        );
        assert.ok(events.closed, `${kind}: the source's finally did not run`);
        const summary = await run.settled;
        assert.notEqual(summary.outcome, "running");
        assert.notEqual(summary.outcome, "failed");
        assertConserved(summary);
      });
    }
  });

  test("an async reducer that rejects rejects the same way", async () => {
    const rejected = new Error("async boom");
    const run = numbers(5);
    await assert.rejects(
      run.reduce(async (acc, x) => {
        if (x === 3) throw rejected;
        return acc + x;
      }, 0),
      (error: unknown) => error === rejected,
    );
    assertConserved(await run.settled);
  });

  test("rejects a reducer that is not a function, as reduce.fn, and leaves the run unconsumed", async () => {
    const run = from([1, 2]).run();
    await assert.rejects(run.reduce(null as never, 0), isInvalidFn("reduce.fn", "`null` (null)"));
    assert.deepEqual(await run.collect(), [1, 2]);
  });
});

describe("some, every, find", () => {
  for (const [kind, source] of endlessSources) {
    describe(`stop an endless ${kind} as soon as the answer is known`, () => {
      test("some resolves true at the first match", async () => {
        await assertNoLeaks(async () => {
          const events = { closed: false };
          const run = from(source(events))
            .map(async (x) => x * 2, { concurrency: 8 })
            .run();
          assert.equal(await run.some((x) => x === 40), true);
          assert.ok(events.closed, "the source's finally did not run");
          await settledCompleted(run);
        });
      });

      test("every resolves false at the first miss", async () => {
        await assertNoLeaks(async () => {
          const events = { closed: false };
          const run = from(source(events))
            .map(async (x) => x, { ordered: true })
            .run();
          const seen: number[] = [];
          assert.equal(
            await run.every((x) => {
              seen.push(x);
              return x < 30;
            }),
            false,
          );
          assert.deepEqual(
            seen,
            Array.from({ length: 31 }, (_, i) => i),
          );
          assert.ok(events.closed);
          await settledCompleted(run);
        });
      });

      test("find resolves the first match", async () => {
        await assertNoLeaks(async () => {
          const events = { closed: false };
          const run = from(source(events)).run();
          assert.equal(await run.find((x) => x > 100 && x % 7 === 0), 105);
          assert.ok(events.closed);
          const summary = await settledCompleted(run);
          assert.equal(summary.error, undefined);
        });
      });
    });
  }

  test("with nothing to find: some is false, every is true, find is undefined", async () => {
    assert.equal(await numbers(5).some((x) => x > 5), false);
    assert.equal(await numbers(5).every((x) => x <= 5), true);
    assert.equal(await numbers(5).find((x) => x > 5), undefined);
    const run = numbers(5);
    assert.equal(await run.find((x) => x === 0), undefined);
    await settledCompleted(run);
  });

  test("on an empty run: some is false, every is true, find is undefined", async () => {
    assert.equal(await from([]).run().some(assert.fail), false);
    assert.equal(await from([]).run().every(assert.fail), true);
    assert.equal(await from([]).run().find(assert.fail), undefined);
  });

  test("find can find a falsy value, and an async predicate is awaited", async () => {
    assert.equal(
      await from([3, 0, 1])
        .run()
        .find((x) => x === 0),
      0,
    );
    assert.equal(
      await numbers(10).find(async (x) => {
        await nextTurn();
        return x % 4 === 0;
      }),
      4,
    );
    assert.equal(await numbers(3).some(async (x) => x === 2), true);
    assert.equal(await numbers(3).every(async (x) => x !== 2), false);
  });

  test("an answer found before a source error agrees with the run's outcome", async () => {
    function* breaks(): Generator<number> {
      yield 1;
      yield 2;
      throw new Error("after the answer");
    }
    const run = from(breaks).run();
    const answer = await run
      .some((x) => x === 1)
      .then(
        (value) => value,
        (error: unknown) => error,
      );
    const summary = await run.settled;
    // Either both say the answer (iterator helpers never read past it), or both the error.
    if (answer === true) assert.equal(summary.outcome, "completed");
    else assert.equal(answer, summary.error);
  });

  test("a predicate that throws rejects with that error and closes the source", async () => {
    await assertNoLeaks(async () => {
      const events = { closed: false };
      const thrown = new Error("bad predicate");
      const run = from(endlessSources[1]![1](events)).run();
      await assert.rejects(
        run.some((x) => {
          if (x === 10) throw thrown;
          return false;
        }),
        (error: unknown) => error === thrown,
      );
      assert.ok(events.closed);
      assertConserved(await run.settled);
    });
  });

  test("a failing stage rejects them with its StageError", async () => {
    const failing = () =>
      from([1, 2, 3])
        .map((x) => {
          if (x === 2) throw new Error("two");
          return x;
        })
        .run();
    const isTwo = (error: unknown) => isStageError(error) && error.index === 1;
    await assert.rejects(
      failing().some((x) => x === 99),
      isTwo,
    );
    await assert.rejects(
      failing().every(() => true),
      isTwo,
    );
    await assert.rejects(
      failing().find(() => false),
      isTwo,
    );
  });

  test("reject a predicate that is not a function, naming the option, and leave the run usable", async () => {
    const run = from([1, 2, 3]).run();
    await assert.rejects(run.some(5 as never), isInvalidFn("some.fn", "`5` (number)"));
    await assert.rejects(run.every("x" as never), isInvalidFn("every.fn", '`"x"` (string)'));
    await assert.rejects(
      run.find(undefined as never),
      isInvalidFn("find.fn", "`undefined` (undefined)"),
    );
    assert.equal(await run.find((x) => x === 2), 2);
  });
});

describe("when the source's cleanup throws", () => {
  const cleanup = new Error("finally failed");
  function* failingCleanup(): Generator<number> {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      // eslint-disable-next-line no-unsafe-finally -- the trap under test
      throw cleanup;
    }
  }
  const isCleanup = (error: unknown) =>
    isSourceError(error) && error.cleanup && error.cause === cleanup;

  test("some, every and find reject with the SourceError its return() threw, as break does", async () => {
    const terminals: [string, (run: Run<number>) => Promise<unknown>][] = [
      ["some", (run) => run.some((x) => x === 3)],
      ["every", (run) => run.every((x) => x < 3)],
      ["find", (run) => run.find((x) => x === 3)],
    ];
    for (const [name, terminal] of terminals) {
      const run = from(failingCleanup).run();
      const answer = await terminal(run).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      const summary = await run.settled;
      assert.equal(summary.outcome, "failed");
      assert.ok(isCleanup(summary.error));
      if (!("error" in answer)) {
        assert.fail(`${name}() resolved ${String(answer.value)} on a failed run`);
      }
      assert.equal(answer.error, summary.error);
    }
  });

  test("a reducer's own error wins over the cleanup error, as a throw in for await does", async () => {
    const mine = new Error("reducer");
    const run = from(failingCleanup).run();
    await assert.rejects(
      run.reduce((acc, x) => {
        if (x === 3) throw mine;
        return acc + x;
      }, 0),
      (error: unknown) => error === mine,
    );
  });
});

describe("toArray", () => {
  test("equals collect", async () => {
    const pipeline = from([5, 3, 8, 1]).map(async (x) => x * 2, { ordered: true });
    assert.deepEqual(await pipeline.run().toArray(), await pipeline.run().collect());
    assert.deepEqual(await pipeline.run().toArray(), [10, 6, 16, 2]);
  });

  test("is a consumer like collect", async () => {
    const run = from([1]).run();
    await run.toArray();
    await assert.rejects(run.collect(), isConsumed("collect()"));
  });
});

describe("a second consumer rejects with RunConsumedError", () => {
  test("a second collect()", async () => {
    const run = numbers(3);
    assert.deepEqual(await run.collect(), [1, 2, 3]);
    await assert.rejects(run.collect(), isConsumed("collect()"));
  });

  test("a second for await", async () => {
    const run = numbers(3);
    for await (const _ of run) void _;
    await assert.rejects(async () => {
      for await (const _ of run) void _;
    }, isConsumed("for await"));
  });

  test("drain() after a for await", async () => {
    const run = numbers(3);
    const seen: number[] = [];
    for await (const value of run) seen.push(value);
    await assert.rejects(run.drain(), isConsumed("for await"));
    assert.deepEqual(seen, [1, 2, 3]);
  });

  test("two concurrent collect() calls: the second rejects, the first gets everything", async () => {
    await assertNoLeaks(async () => {
      const run = numbers(4);
      const [first, second] = await Promise.allSettled([run.collect(), run.collect()]);
      assert.equal(first.status, "fulfilled");
      assert.deepEqual(first.value, [1, 2, 3, 4]);
      assert.equal(second.status, "rejected");
      isConsumed("collect()")(second.reason);
    });
  });

  test("any terminal after another one", async () => {
    const consumers: [string, (run: Run<number>) => Promise<unknown>][] = [
      ["reduce()", (run) => run.reduce((a, b) => a + b, 0)],
      ["some()", (run) => run.some(() => false)],
      ["every()", (run) => run.every(() => true)],
      ["find()", (run) => run.find(() => false)],
      ["drain()", (run) => run.drain()],
      ["collect()", (run) => run.collect()],
    ];
    for (const [consumer, first] of consumers) {
      for (const [, second] of consumers) {
        const run = from([1, 2, 3]).run();
        await first(run);
        await assert.rejects(second(run), isConsumed(consumer));
      }
    }
  });

  test("next() after collect()", async () => {
    const run = numbers(2);
    await run.collect();
    await assert.rejects(run.next(), isConsumed("collect()"));
  });
});

describe("what a second consumer may do", () => {
  test("await run after collect() waits for the outcome and resolves to the summary", async () => {
    const run = numbers(3);
    assert.deepEqual(await run.collect(), [1, 2, 3]);
    const summary = await run;
    assert.equal(summary.outcome, "completed");
    assert.equal(summary.delivered, 3);
    assertConserved(summary);
  });

  test("await run while collect() is under way resolves once the run has settled", async () => {
    await assertNoLeaks(async () => {
      const run = numbers(5);
      const collecting = run.collect();
      const summary = await run;
      assert.equal(summary.outcome, "completed");
      assert.deepEqual(await collecting, [1, 2, 3, 4, 5]);
      assert.equal(summary.delivered, 5);
    });
  });

  test("await run after a failed collect() rejects with the same error", async () => {
    const run = from([1, 2])
      .map((x) => {
        if (x === 2) throw new Error("two");
        return x;
      })
      .run();
    const error = await run.collect().catch((thrown: unknown) => thrown);
    assert.ok(isStageError(error));
    await assert.rejects(
      async () => await run,
      (thrown: unknown) => thrown === error,
    );
  });

  test("next() then collect() returns the rest", async () => {
    const run = numbers(4);
    assert.deepEqual(await run.next(), { done: false, value: 1 });
    assert.deepEqual(await run.next(), { done: false, value: 2 });
    assert.deepEqual(await run.collect(), [3, 4]);
    const summary = await settledCompleted(run);
    assert.equal(summary.delivered, 4);
  });

  test("await run after next() drains the rest and resolves to the summary", async () => {
    const run = from([1, 2, 3]).run();
    assert.deepEqual(await run.next(), { done: false, value: 1 });
    const outcome = await Promise.race([
      Promise.resolve(run).then(
        (summary) => summary,
        (error: unknown) => error,
      ),
      turns(20).then(() => "still pending" as const),
    ]);
    if (outcome === "still pending") {
      await run.cancel();
      assert.fail("await run after next() had not settled 20 turns after the last output");
    }
    assert.equal((outcome as RunSummary).outcome, "completed");
    assert.equal((outcome as RunSummary).delivered, 3);
  });

  test("next() then a terminal: reduce and find see only the rest", async () => {
    const folded = numbers(4);
    await folded.next();
    assert.equal(await folded.reduce((a, b) => a + b), 9);
    const found = numbers(4);
    await found.next();
    assert.equal(await found.find((x) => x < 3), 2);
  });
});

describe("awaiting a forEach run", () => {
  test("processes every item and resolves to a completed RunSummary", async () => {
    await assertNoLeaks(async () => {
      const written: number[] = [];
      const summary = await from(Array.from({ length: 50 }, (_, i) => i))
        .forEach(
          async (x) => {
            await nextTurn();
            written.push(x);
          },
          { concurrency: 4 },
        )
        .run();
      assert.equal(summary.outcome, "completed");
      assert.equal(summary.error, undefined);
      assert.equal(summary.pulled, 50);
      assert.equal(summary.stages[0]!.kind, "forEach");
      assert.equal(summary.stages[0]!.out, 50);
      assert.deepEqual(
        written.sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i),
      );
      assertConserved(summary);
    });
  });

  test("awaiting a failing run rejects with the StageError, and the run settles failed", async () => {
    await assertNoLeaks(async () => {
      const cause = new Error("disk full");
      const run = from([1, 2, 3, 4])
        .forEach(async (x) => {
          await nextTurn();
          if (x === 3) throw cause;
        })
        .run();
      await assert.rejects(
        async () => await run,
        (error: unknown) => {
          assert.ok(error instanceof StageError);
          assert.equal(error.stage, "forEach#1");
          assert.equal(error.cause, cause);
          assert.equal(error.item, 3);
          return true;
        },
      );
      const summary = await run.settled;
      assert.equal(summary.outcome, "failed");
      assertConserved(summary);
    });
  });

  test("a terminal after await run rejects with RunConsumedError", async () => {
    const run = from([1, 2]).run();
    await run;
    await assert.rejects(run.collect(), isConsumed("drain()"));
  });
});
