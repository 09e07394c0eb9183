import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { describe, test } from "node:test";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { from, isCancelledError, type StageContext } from "../../src/index.js";

test("calls the function exactly once per item", async () => {
  const calls = new Map<number, number>();
  const input = Array.from({ length: 500 }, (_, i) => i);
  await from(input)
    .map(
      async (x) => {
        calls.set(x, (calls.get(x) ?? 0) + 1);
        if (x % 3 === 0) await nextTurn();
        return x;
      },
      { concurrency: 5, buffer: 3 },
    )
    .run()
    .drain();
  assert.equal(calls.size, 500);
  assert.ok([...calls.values()].every((count) => count === 1));
});

test("a sync function never holds a slot: at most one item is ever in flight", async () => {
  const run = from(Array.from({ length: 10_000 }, (_, i) => i))
    .map((x) => x * 2, { buffer: 512 })
    .filter((x) => x % 4 === 0, { buffer: 512 })
    .run();
  const out = await run.collect();
  assert.equal(out.length, 5_000);
  assert.equal((await run.settled).stages[0]!.maxInFlight, 1);
});

test("mixing sync and async results keeps every item and the bound", async () => {
  let inFlight = 0;
  let max = 0;
  const out = await from(Array.from({ length: 300 }, (_, i) => i))
    .map(
      (x) => {
        if (x % 2 === 0) return x;
        max = Math.max(max, ++inFlight);
        return nextTurn().then(() => {
          inFlight--;
          return x;
        });
      },
      { concurrency: 4 },
    )
    .run()
    .collect();
  assert.equal(out.length, 300);
  assert.ok(max <= 4);
});

test("items already in flight when the stage fails are counted as cancelled, not failed", async () => {
  const run = from([1, 2, 3, 4])
    .map(
      async (x, ctx) => {
        if (x === 4) throw new Error("four");
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        return x;
      },
      { concurrency: 4 },
    )
    .run();
  await run.drain().catch(() => undefined);
  const [stage] = (await run.settled).stages;
  assert.equal(stage!.failed, 1);
  assert.equal(stage!.cancelled, 3);
});

test("a sync burst stops calling the function as soon as the run stops", async () => {
  const calls: number[] = [];
  const run = from(Array.from({ length: 100 }, (_, i) => i))
    .map(
      (x) => {
        calls.push(x);
        if (x === 5) void run.cancel(new Error("enough"));
        return x;
      },
      { buffer: 256 },
    )
    .run();
  await run.drain().catch(() => undefined);
  assert.deepEqual(calls, [0, 1, 2, 3, 4, 5]);
  const [stage] = (await run.settled).stages;
  assert.equal(stage!.in, 6);
});

/**
 * The slot that just settled takes the next item itself (no dispatcher pass); these cases
 * make that next item answer synchronously, throw synchronously, or stop the run.
 */
const afterAsync = (x: number): number | Promise<number> => {
  if (x % 7 === 3) throw new Error(`sync failure ${x}`);
  return x % 2 === 0 ? Promise.resolve(x * 10) : x * 10;
};
const input = Array.from({ length: 200 }, (_, i) => i);
const expectedValues = input.filter((x) => x % 7 !== 3).map((x) => x * 10);

test("a reused slot handles sync results and sync throws under skip", async () => {
  const dead: number[] = [];
  const run = from(input)
    .map(afterAsync, {
      concurrency: 3,
      onError: "skip",
      deadLetter: (item) => {
        dead.push(item);
      },
    })
    .run();
  const out = await run.collect();
  assert.deepEqual(
    out.sort((a, b) => a - b),
    expectedValues,
  );
  assert.deepEqual(
    dead.sort((a, b) => a - b),
    input.filter((x) => x % 7 === 3),
  );
  const [stage] = (await run.settled).stages;
  assert.equal(stage!.in, 200);
  assert.equal(stage!.out + stage!.failed, 200);
});

test("a reused slot waits for an async dead letter before taking another item", async () => {
  let deadInFlight = 0;
  let itemsDuringDeadLetter = 0;
  let inside = 0;
  const out = await from(input)
    .map(
      (x) => {
        inside++;
        if (deadInFlight > 0) itemsDuringDeadLetter = Math.max(itemsDuringDeadLetter, inside);
        try {
          return afterAsync(x);
        } finally {
          if (x % 2 !== 0 || x % 7 === 3) inside--;
          else queueMicrotask(() => inside--);
        }
      },
      {
        concurrency: 1,
        onError: "skip",
        deadLetter: async () => {
          deadInFlight++;
          await nextTurn();
          deadInFlight--;
        },
      },
    )
    .run()
    .collect();
  assert.equal(out.length, expectedValues.length);
  assert.equal(
    itemsDuringDeadLetter,
    0,
    "with one slot, no item runs while a dead letter holds it",
  );
});

test("a reused slot's sync throw under collect becomes a Failure in order", async () => {
  const out = await from(input)
    .map(afterAsync, { concurrency: 4, ordered: true, onError: "collect" })
    .run()
    .collect();
  assert.equal(out.length, 200);
  out.forEach((result, i) => {
    if (i % 7 === 3) assert.equal(result.ok, false);
    else assert.deepEqual(result, { ok: true, value: i * 10 });
  });
});

test("a reused slot's sync throw under fail rejects with a StageError naming the item", async () => {
  await assert.rejects(
    from(input).map(afterAsync, { concurrency: 2 }).run().drain(),
    (error: Error & { item?: unknown; cause?: unknown }) => {
      assert.equal(error.name, "StageError");
      assert.equal(error.item, 3);
      assert.match(String((error.cause as Error).message), /sync failure 3/);
      return true;
    },
  );
});

test("a cancel from inside the function stops the reused slot from taking more items", async () => {
  const seen: number[] = [];
  const run = from(input)
    .map(
      async (x) => {
        seen.push(x);
        if (x === 20) void run.cancel("enough");
        return x;
      },
      { concurrency: 2 },
    )
    .run();
  await assert.rejects(run.drain(), { name: "CancelledError" });
  const summary = await run.settled;
  assert.ok(Math.max(...seen) <= 21, `items started after the cancel: ${String(seen.slice(-3))}`);
  const [stage] = summary.stages;
  assert.equal(stage!.in, seen.length);
});

describe("the per-call signal", () => {
  test("listeners a call leaves on its signal never pile up on the run's", async () => {
    const seen = new Set<AbortSignal>();
    let maxOnOneSignal = 0;
    const summary = await from(Array.from({ length: 5_000 }, (_, i) => i))
      .map(
        async (x, { signal }) => {
          seen.add(signal);
          // Leaves a listener behind, as many clients do.
          signal.addEventListener("abort", () => {});
          maxOnOneSignal = Math.max(maxOnOneSignal, getEventListeners(signal, "abort").length);
          await nextTurn();
          return x;
        },
        { concurrency: 8 },
      )
      .run()
      .drain();
    assert.equal(summary.stages[0]!.out, 5_000);
    assert.equal(maxOnOneSignal, 1, "a signal with a listener left on it is never handed on");
    assert.equal(seen.size, 5_000);
  });

  test("calls that clean up after themselves share a few signals, one per slot", async () => {
    const seen = new Set<AbortSignal>();
    await from(Array.from({ length: 2_000 }, (_, i) => i))
      .map(
        async (x, { signal }) => {
          seen.add(signal);
          await sleep(0, undefined, { signal }); // removes its listener when it fires
          return x;
        },
        { concurrency: 4 },
      )
      .run()
      .drain();
    assert.ok(seen.size <= 4, `${seen.size} signals for 4 slots`);
  });

  test("is made only when read: a function that never reads it gets none", async () => {
    const contexts: StageContext[] = [];
    await from([1, 2, 3])
      .map(
        async (x, ctx) => {
          contexts.push(ctx);
          return x;
        },
        { concurrency: 1 },
      )
      .run()
      .drain();
    assert.equal((contexts[0] as unknown as { controller: unknown }).controller, undefined);
  });

  test("cancelling aborts every signal that was read, with the run's reason", async () => {
    const signals: AbortSignal[] = [];
    const reason = new Error("stop now");
    const run = from(Array.from({ length: 100 }, (_, i) => i))
      .map(
        (_x, { signal }) => {
          signals.push(signal);
          return new Promise((_resolve, reject) =>
            signal.addEventListener("abort", () => reject(signal.reason)),
          );
        },
        { concurrency: 6 },
      )
      .run();
    const draining = run.drain().catch(() => undefined);
    await nextTurn();
    assert.equal(signals.length, 6);
    const summary = await run.cancel(reason);
    await draining;
    assert.ok(signals.every((signal) => signal.aborted && signal.reason === reason));
    assert.equal(summary.stages[0]!.cancelled, 6);
    assert.equal(summary.stages[0]!.abandoned, 0, "calls that honour the signal are not abandoned");
  });

  test("a take downstream aborts the signals of calls still in flight upstream", async () => {
    const aborted: boolean[] = [];
    const out = await from(Array.from({ length: 1_000 }, (_, i) => i))
      .map(
        async (x, { signal }) => {
          if (x > 0) {
            await sleep(1_000, undefined, { signal }).catch(() => undefined);
            aborted.push(signal.aborted);
          }
          return x;
        },
        { concurrency: 4, ordered: true },
      )
      .take(1)
      .run()
      .collect();
    assert.deepEqual(out, [0]);
    assert.ok(aborted.length > 0 && aborted.every(Boolean));
  });
});

describe("sync bursts yield to the event loop", () => {
  test("timers fire during a long run of synchronous items", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let ticksAtFirstItem = 0;
    let itemsAtFirstTick = -1;
    let seen = 0;
    try {
      await from(function* () {
        for (let i = 0; i < 3_000_000; i++) yield i;
      })
        .map((x) => {
          // A tick before the first item proves nothing: count from the first item on.
          if (seen === 0) ticksAtFirstItem = ticks;
          else if (ticks > ticksAtFirstItem && itemsAtFirstTick < 0) itemsAtFirstTick = seen;
          seen++;
          return x + 1;
        })
        .forEach(() => {})
        .run();
    } finally {
      clearInterval(timer);
    }
    assert.ok(itemsAtFirstTick > 0, "a 1 ms interval fired while items were still being processed");
    assert.ok(itemsAtFirstTick < 3_000_000);
  });

  test("timers fire while async items settle in microtasks alone", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let ticksAtFirstItem = 0;
    let itemsAtFirstTick = -1;
    let seen = 0;
    try {
      await from(function* () {
        for (let i = 0; i < 1_000_000; i++) yield i;
      })
        .forEach(async () => {
          if (seen === 0) ticksAtFirstItem = ticks;
          else if (ticks > ticksAtFirstItem && itemsAtFirstTick < 0) itemsAtFirstTick = seen;
          seen++;
        })
        .run();
    } finally {
      clearInterval(timer);
    }
    assert.ok(
      itemsAtFirstTick > 0 && itemsAtFirstTick < 1_000_000,
      `first tick after ${itemsAtFirstTick}`,
    );
  });

  test("an AbortSignal.timeout cancels a run of synchronous items", async () => {
    const run = from(function* () {
      for (;;) yield 1;
    })
      .map((x) => x)
      .run({ signal: AbortSignal.timeout(20) });
    await assert.rejects(run.drain(), (error: unknown) => isCancelledError(error));
  });
});

describe("ordered flatMap is lazy", () => {
  test("reading 3 values of a 50,000-value inner generator makes about 3, not 50,000", async () => {
    let made = 0;
    const run = from([1])
      .flatMap(
        function* () {
          for (let i = 0; i < 50_000; i++) {
            made++;
            yield i;
          }
        },
        { ordered: true, buffer: 4 },
      )
      .run();
    const firstThree: number[] = [];
    for await (const value of run) {
      firstThree.push(value);
      if (firstThree.length === 3) break;
    }
    assert.deepEqual(firstThree, [0, 1, 2]);
    assert.ok(made <= 16, `${made} values made`);
  });

  test("an endless inner iterable emits, in input order across items", async () => {
    async function* endless(tag: string): AsyncGenerator<string> {
      for (let i = 0; ; i++) yield `${tag}${i}`;
    }
    const out = await from(["a", "b"])
      .flatMap((tag) => (tag === "a" ? ["a0", "a1"] : endless(tag)), { ordered: true })
      .take(4)
      .run()
      .collect();
    assert.deepEqual(out, ["a0", "a1", "b0", "b1"]);
  });

  test("keeps input order when later items finish first, failures collected in place", async () => {
    const out = await from([30, 0, 10, -1, 5])
      .flatMap(
        async (ms) => {
          await sleep(Math.max(ms, 0));
          if (ms < 0) throw new Error("negative");
          return [ms, ms];
        },
        { ordered: true, concurrency: 5, onError: "collect" },
      )
      .run()
      .collect();
    assert.deepEqual(
      out.map((r) => (r.ok ? r.value : "failed")),
      [30, 30, 0, 0, 10, 10, "failed", 5, 5],
    );
  });
});
