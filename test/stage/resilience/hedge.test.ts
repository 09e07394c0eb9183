import assert from "node:assert/strict";
import { test } from "node:test";
import { from, type StageContext } from "../../../src/index.js";
import { assertConserved } from "../../helpers/conservation.js";
import { ManualClock } from "../../helpers/manual-clock.js";

interface Call {
  readonly ctx: StageContext;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A function whose calls the test settles by hand, in the order they started. */
function manualCalls(): {
  calls: Call[];
  fn: (item: unknown, ctx: StageContext) => Promise<unknown>;
} {
  const calls: Call[] = [];
  return {
    calls,
    fn: (_item, ctx) =>
      new Promise((resolve, reject) => {
        calls.push({ ctx, resolve, reject });
      }),
  };
}

test("an attempt still running after `after` gets one more call; the first success wins", async () => {
  const clock = new ManualClock();
  const { calls, fn } = manualCalls();
  const run = from(["x"])
    .map(fn, { hedge: { after: 50 }, clock })
    .run();
  const values = run.collect();
  await clock.advance(49);
  assert.equal(calls.length, 1);
  await clock.advance(1);
  assert.equal(calls.length, 2, "hedged at 50 ms");
  assert.equal(calls[1]!.ctx.index, 0);
  assert.equal(calls[1]!.ctx.attempt, 1);
  calls[1]!.resolve("from the hedge");
  assert.deepEqual(await values, ["from the hedge"]);
  assert.equal(calls[0]!.ctx.signal.aborted, true, "the loser's signal aborts");
  assert.equal((calls[0]!.ctx.signal.reason as Error).name, "AbortError");
  assert.equal(calls[1]!.ctx.signal.aborted, false);
  calls[0]!.resolve("late");
  const summary = await run.settled;
  assert.equal(summary.stages[0]!.hedged, 1);
  assertConserved(summary);
});

test("a hedge that fails while the first call still runs: the first call's success wins", async () => {
  const clock = new ManualClock();
  const { calls, fn } = manualCalls();
  const run = from(["x"])
    .map(fn, { hedge: { after: 10 }, clock })
    .run();
  const values = run.collect();
  await clock.advance(10);
  calls[1]!.reject(new Error("hedge failed"));
  await clock.advance(0);
  calls[0]!.resolve("first");
  assert.deepEqual(await values, ["first"]);
});

test("when both calls fail, the item fails with the error of the call that failed last", async () => {
  const clock = new ManualClock();
  const { calls, fn } = manualCalls();
  const errors: unknown[] = [];
  const run = from(["x"])
    .map(fn, {
      hedge: { after: 10 },
      clock,
      onError: "skip",
      deadLetter: (_item, error) => void errors.push(error),
    })
    .run();
  const done = run.drain();
  await clock.advance(10);
  calls[0]!.reject(new Error("first"));
  await clock.advance(0);
  calls[1]!.reject(new Error("second"));
  await done;
  assert.deepEqual(
    errors.map((error) => (error as Error).message),
    ["second"],
  );
});

test("the budget stops hedging when everything is slow", async () => {
  const clock = new ManualClock();
  const { calls, fn } = manualCalls();
  const items = Array.from({ length: 400 }, (_, i) => i);
  const run = from(items)
    .map(fn, { hedge: { after: 10, budget: 0.05 }, clock, concurrency: 400 })
    .run();
  const values = run.collect();
  for (let i = 0; i < 5; i++) await clock.advance(0);
  assert.equal(calls.length, 400);
  await clock.advance(10);
  const hedged = run.stats().stages[0]!.hedged;
  // 10 per window on top of 5% of 400 calls.
  assert.equal(hedged, 30);
  assert.equal(calls.length, 430);
  for (const call of calls) call.resolve(1);
  assert.equal((await values).length, 400);
});

test('"p95" hedges after the stage\'s own observed 95th percentile', async () => {
  const clock = new ManualClock();
  const { calls, fn } = manualCalls();
  const items = Array.from({ length: 201 }, (_, i) => i);
  const run = from(items)
    .map(fn, { hedge: { after: "p95", budget: 1 }, clock, concurrency: 1 })
    .run();
  const values = run.collect();
  // 200 calls of 1..100 ms (p95 ≈ 95 ms), one at a time.
  for (let i = 0; i < 200; i++) {
    await clock.advance(0);
    await clock.advance((i % 100) + 1);
    // A hedge's loser keeps its place until it settles: settle every call so far.
    for (const call of calls) call.resolve(i);
  }
  await clock.advance(0);
  const before = calls.length;
  await clock.advance(90);
  assert.equal(calls.length, before, "not hedged at 90 ms");
  await clock.advance(15);
  assert.equal(calls.length, before + 1, "hedged by 105 ms");
  for (const call of calls) call.resolve("done");
  assert.equal((await values).length, 201);
});
