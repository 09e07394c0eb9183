import assert from "node:assert/strict";
import { test } from "node:test";
import { from, isTimeoutError, type StageContext } from "../../../src/index.js";
import { assertConserved } from "../../helpers/conservation.js";
import { ManualClock } from "../../helpers/manual-clock.js";

/** A call the test settles by hand; it ignores its signal unless told to listen. */
function hanging(): { promise: Promise<unknown>; resolve: (v: unknown) => void } {
  let resolve!: (v: unknown) => void;
  const promise = new Promise<unknown>((r) => (resolve = r));
  return { promise, resolve };
}

test("an attempt past its timeout fails with a TimeoutError naming stage, index and elapsed ms", async () => {
  const clock = new ManualClock();
  const signals: AbortSignal[] = [];
  const errors: unknown[] = [];
  const run = from([0, 1, 2])
    .map(
      (x: number, ctx: StageContext) => {
        signals[x] = ctx.signal;
        return x === 1 ? new Promise(() => {}) : Promise.resolve(x);
      },
      {
        name: "fetch",
        timeout: "30s",
        clock,
        onError: "skip",
        deadLetter: (_item, error) => void errors.push(error),
      },
    )
    .run();
  const values = run.collect();
  await clock.advance(29_999);
  assert.equal(errors.length, 0, "not before the deadline");
  await clock.advance(1);
  assert.deepEqual((await values).sort(), [0, 2]);
  assert.equal(errors.length, 1);
  const error = errors[0];
  assert.ok(isTimeoutError(error));
  assert.equal(error.stage, "fetch");
  assert.equal(error.index, 1);
  assert.equal(error.elapsedMs, 30_000);
  assert.equal(error.timeoutMs, 30_000);
  assert.equal(error.code, "ERR_SLUICE_TIMEOUT");
  assert.equal(signals[1]!.aborted, true);
  assert.equal(signals[1]!.reason, error);
  assert.equal(signals[0]!.aborted, false, "a call that settled in time keeps its signal");
  const summary = await run.settled;
  assert.equal(summary.stages[0]!.failed, 1);
  assert.equal(summary.stages[0]!.abandoned, 1);
  assertConserved(summary);
});

test("a call that ignores its signal keeps its place in the width until it settles", async () => {
  const clock = new ManualClock();
  const hung = [hanging(), hanging()];
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const run = from([0, 1, 2, 3])
    .map(
      async (x: number) => {
        started.push(x);
        running++;
        most = Math.max(most, running);
        try {
          if (x < 2) return await hung[x]!.promise;
          return x;
        } finally {
          running--;
        }
      },
      { concurrency: 2, timeout: 100, clock, onError: "skip" },
    )
    .run();
  const values = run.collect();
  await clock.advance(100);
  // Both items failed at their deadline, but their calls still run: nothing else may start.
  assert.deepEqual(started, [0, 1]);
  assert.equal(run.stats().stages[0]!.failed, 2);
  await clock.advance(10_000);
  assert.deepEqual(started, [0, 1], "a stuck dependency does not make in-flight work grow");
  hung[0]!.resolve("late");
  await clock.advance(0);
  assert.ok(started.includes(2), "the settled call's place is free again");
  hung[1]!.resolve("late");
  assert.deepEqual((await values).sort(), [2, 3], "late results are dropped");
  assert.equal(most, 2);
  const summary = await run.settled;
  assert.equal(summary.stages[0]!.abandoned, 2);
  assertConserved(summary);
});

test("one timer for the whole stage, however many calls are in flight", async () => {
  const clock = new ManualClock();
  const calls: ReturnType<typeof hanging>[] = [];
  const run = from(Array.from({ length: 50 }, (_, i) => i))
    .map(
      () => {
        const call = hanging();
        calls.push(call);
        return call.promise;
      },
      { concurrency: 50, timeout: "1s", clock },
    )
    .run();
  const values = run.collect();
  await clock.advance(0);
  assert.equal(calls.length, 50);
  assert.equal(clock.pending, 1);
  for (const call of calls) call.resolve(1);
  assert.equal((await values).length, 50);
  assertConserved(await run.settled);
});

test("a timeout that never fires changes nothing, and sync functions are not timed", async () => {
  const clock = new ManualClock();
  const run = from([1, 2, 3, 4])
    .map((x: number) => (x % 2 === 0 ? x * 10 : Promise.resolve(x * 10)), {
      timeout: 50,
      clock,
      ordered: true,
    })
    .run();
  assert.deepEqual(await run.collect(), [10, 20, 30, 40]);
  const summary = await run.settled;
  assert.equal(summary.stages[0]!.abandoned, 0);
  assertConserved(summary);
});

test("onError: fail turns a timeout into the run's failure, naming the item", async () => {
  const clock = new ManualClock();
  const run = from([7])
    .map(() => new Promise(() => {}), { name: "slow", timeout: 10, clock })
    .run();
  const outcome = run.collect().then(
    () => undefined,
    (error: unknown) => error,
  );
  await clock.advance(10);
  await assert.rejects(
    outcome.then((error) => Promise.reject(error as Error)),
    (error: Error) => {
      assert.match(error.message, /slow/);
      assert.ok(isTimeoutError((error as { cause?: unknown }).cause));
      return true;
    },
  );
});
