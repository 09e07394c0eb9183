import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { from } from "../../src/index.js";

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
