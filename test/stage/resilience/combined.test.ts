import assert from "node:assert/strict";
import { test } from "node:test";
import { from, isTimeoutError, type StageContext } from "../../../src/index.js";
import { assertConserved } from "../../helpers/conservation.js";
import { ManualClock } from "../../helpers/manual-clock.js";

test("a timed-out attempt is retried; the late call keeps its slot meanwhile", async () => {
  const clock = new ManualClock();
  const attempts: number[] = [];
  const run = from(["x"])
    .map(
      (_item: string, ctx: StageContext) => {
        attempts.push(ctx.attempt);
        return ctx.attempt === 1 ? new Promise(() => {}) : Promise.resolve("second");
      },
      { concurrency: 2, timeout: 100, retry: { attempts: 2, backoff: 10 }, clock },
    )
    .run();
  const values = run.collect();
  await clock.advance(100);
  await clock.advance(10);
  assert.deepEqual(await values, ["second"]);
  assert.deepEqual(attempts, [1, 2]);
  const stage = (await run.settled).stages[0]!;
  assert.equal(stage.retried, 1);
  assert.equal(stage.abandoned, 1);
  assertConserved(await run.settled);
});

test("with a hedge, the timeout bounds the attempt: both calls are aborted and abandoned", async () => {
  const clock = new ManualClock();
  const signals: AbortSignal[] = [];
  const errors: unknown[] = [];
  const run = from(["x", "y"])
    .map(
      (_item: string, ctx: StageContext) => {
        signals.push(ctx.signal);
        return new Promise(() => {});
      },
      {
        concurrency: 2,
        timeout: 100,
        hedge: { after: 30 },
        clock,
        onError: "skip",
        deadLetter: (_item, error) => void errors.push(error),
      },
    )
    .run();
  const done = run.drain();
  await clock.advance(30);
  assert.equal(signals.length, 4, "both items hedged at 30 ms");
  await clock.advance(70);
  await done;
  assert.equal(errors.length, 2);
  assert.ok(errors.every(isTimeoutError));
  assert.ok(signals.every((signal) => signal.aborted));
  const stage = (await run.settled).stages[0]!;
  assert.equal(stage.abandoned, 4);
  assert.equal(stage.hedged, 2);
  assert.equal(clock.pending, 0, "no timer outlives the stage");
  assertConserved(await run.settled);
});

test("a hedged stage whose calls hang holds its width: no new item starts", async () => {
  const clock = new ManualClock();
  let started = 0;
  const run = from([1, 2, 3, 4])
    .map(
      () => {
        started++;
        return new Promise(() => {});
      },
      { concurrency: 2, timeout: 50, hedge: { after: 10, budget: 1 }, clock, onError: "skip" },
    )
    .run();
  const done = run.drain().catch((error: unknown) => error);
  await clock.advance(10);
  assert.equal(started, 4, "two items, each hedged once");
  await clock.advance(1_000);
  assert.equal(started, 4, "their calls still hold the width after the timeout");
  await run.cancel();
  await done;
});

test("cancelling a run aborts hedged calls and backing-off items alike", async () => {
  const clock = new ManualClock();
  const signals: AbortSignal[] = [];
  const run = from([1, 2, 3])
    .map(
      (x: number, ctx: StageContext) => {
        // The failed first call of item 1 has settled: only calls still running need aborting.
        if (x !== 1) signals.push(ctx.signal);
        if (x === 1) return Promise.reject(new Error("retry me"));
        return new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error)),
        );
      },
      { hedge: { after: 5, budget: 1 }, retry: { attempts: 3, backoff: 1_000 }, clock },
    )
    .run();
  const outcome = run.collect().catch((error: unknown) => error);
  await clock.advance(5);
  await run.cancel();
  await outcome;
  assert.equal(signals.length, 4, "items 2 and 3, each hedged once");
  assert.ok(signals.every((signal) => signal.aborted));
  assert.equal(clock.pending, 0);
  const summary = await run.settled;
  assert.equal(summary.outcome, "cancelled");
  assertConserved(summary);
});
