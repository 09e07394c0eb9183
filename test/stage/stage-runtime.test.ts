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
