import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type AttemptFailure,
  from,
  retryBudget,
  type DeadLetterContext,
  type StageContext,
} from "../../../src/index.js";
import { assertConserved } from "../../helpers/conservation.js";
import { ManualClock } from "../../helpers/manual-clock.js";

/** Backoff delays of exactly their cap: `random` 0.999… makes full jitter deterministic. */
const NO_JITTER = (): number => 0.999_999;

test("a failed item is tried again until it succeeds; ctx.attempt counts the attempts", async () => {
  const clock = new ManualClock();
  const attempts = new Map<number, number[]>();
  const run = from([1, 2, 3])
    .map(
      async (x: number, ctx: StageContext) => {
        attempts.set(x, [...(attempts.get(x) ?? []), ctx.attempt]);
        if (x === 2 && ctx.attempt < 3) throw new Error(`flaky ${x}`);
        return x * 10;
      },
      { retry: { attempts: 3, backoff: 100, random: NO_JITTER }, clock, ordered: true },
    )
    .run();
  const values = run.collect();
  await clock.runAll();
  assert.deepEqual(await values, [10, 20, 30], "order kept across retries");
  assert.deepEqual(attempts.get(2), [1, 2, 3]);
  assert.deepEqual(attempts.get(1), [1]);
  const stage = (await run.settled).stages[0]!;
  assert.equal(stage.retried, 2);
  assert.equal(stage.failed, 0);
  assertConserved(await run.settled);
});

test("backoff delays grow exponentially, capped by maxDelay (full jitter's upper bound)", async () => {
  const clock = new ManualClock();
  const run = from([1])
    .map(
      () => {
        throw new Error("down");
      },
      {
        retry: { attempts: 5, backoff: 100, maxDelay: 500, random: NO_JITTER },
        clock,
        onError: "skip",
      },
    )
    .run();
  const done = run.drain();
  await clock.runAll();
  await done;
  assert.deepEqual(
    clock.delays.map((ms) => Math.round(ms)),
    [100, 200, 400, 500],
  );
});

test("an item backing off holds no slot: the next item runs meanwhile", async () => {
  const clock = new ManualClock();
  const log: string[] = [];
  const run = from(["a", "b"])
    .map(
      (x: string, ctx: StageContext) => {
        log.push(`${x}${ctx.attempt}`);
        if (x === "a" && ctx.attempt === 1) return Promise.reject(new Error("once"));
        return Promise.resolve(x);
      },
      { concurrency: 1, retry: { attempts: 2, backoff: 1_000, random: NO_JITTER }, clock },
    )
    .run();
  const values = run.collect();
  await clock.advance(10);
  assert.deepEqual(log, ["a1", "b1"], "b ran while a backed off");
  await clock.advance(1_000);
  assert.deepEqual(log, ["a1", "b1", "a2"]);
  assert.deepEqual((await values).sort(), ["a", "b"]);
});

test("after the last attempt the error policy gets the last error, and the dead letter every attempt", async () => {
  const clock = new ManualClock();
  const letters: { item: unknown; error: unknown; ctx: DeadLetterContext }[] = [];
  const run = from(["x"])
    .map(
      (_item: string, ctx: StageContext) => Promise.reject(new Error(`attempt ${ctx.attempt}`)),
      {
        retry: { attempts: 3, backoff: 10, random: NO_JITTER },
        clock,
        onError: "skip",
        deadLetter: (item, error, ctx) => void letters.push({ item, error, ctx }),
      },
    )
    .run();
  const done = run.drain();
  await clock.runAll();
  await done;
  assert.equal(letters.length, 1);
  const letter = letters[0]!;
  assert.equal((letter.error as Error).message, "attempt 3");
  assert.equal(letter.ctx.attempt, 3);
  assert.deepEqual(
    letter.ctx.history.map((h: AttemptFailure) => [h.attempt, (h.error as Error).message]),
    [
      [1, "attempt 1"],
      [2, "attempt 2"],
      [3, "attempt 3"],
    ],
  );
  assert.deepEqual(
    letter.ctx.history.map((h: AttemptFailure) => Math.round(h.at)),
    [0, 10, 30],
  );
  const stage = (await run.settled).stages[0]!;
  assert.equal(stage.failed, 1);
  assert.equal(stage.retried, 2);
});

test("retryIf decides which errors are retried; an AbortError is not, by default", async () => {
  const clock = new ManualClock();
  const calls = new Map<string, number>();
  const failing = (x: string): Promise<never> => {
    calls.set(x, (calls.get(x) ?? 0) + 1);
    const error = new Error(x);
    if (x === "abort") error.name = "AbortError";
    return Promise.reject(error);
  };
  const custom = from(["fatal", "transient"])
    .map(failing, {
      retry: { attempts: 3, retryIf: (error) => (error as Error).message !== "fatal" },
      clock,
      onError: "skip",
    })
    .run();
  const byDefault = from(["abort"])
    .map(failing, { retry: { attempts: 3 }, clock, onError: "skip" })
    .run();
  const done = Promise.all([custom.drain(), byDefault.drain()]);
  await clock.runAll();
  await done;
  assert.deepEqual(Object.fromEntries(calls), { fatal: 1, transient: 3, abort: 1 });
});

test("a retry budget caps retries during an outage", async () => {
  const clock = new ManualClock();
  let calls = 0;
  const items = Array.from({ length: 200 }, (_, i) => i);
  const run = from(items)
    .map(
      () => {
        calls++;
        return Promise.reject(new Error("outage"));
      },
      { retry: { attempts: 4, backoff: 1, budget: 0.1 }, clock, onError: "skip", concurrency: 8 },
    )
    .run();
  const done = run.drain();
  await clock.runAll();
  await done;
  const stage = (await run.settled).stages[0]!;
  assert.equal(stage.failed, 200);
  // 10 per window on top of 0.1 x 200 first attempts.
  assert.ok(stage.retried <= 30, `retried ${stage.retried}`);
  assert.equal(calls, 200 + stage.retried);
  assertConserved(await run.settled);
});

test("a shared retryBudget caps two stages together", async () => {
  const clock = new ManualClock();
  const budget = retryBudget({ ratio: 0, minPerWindow: 3, clock });
  const failing = (): Promise<never> => Promise.reject(new Error("down"));
  const run = from([1, 2, 3, 4])
    .map(failing, { retry: { attempts: 9, budget }, clock, onError: "collect" })
    .map(failing, { retry: { attempts: 9, budget }, clock, onError: "skip" })
    .run();
  const done = run.drain();
  await clock.runAll();
  await done;
  const [a, b] = (await run.settled).stages;
  assert.equal(a!.retried + b!.retried, 3);
});

test("cancelling the run while items back off cancels them and leaves no timer", async () => {
  const clock = new ManualClock();
  const run = from([1, 2, 3])
    .map(() => Promise.reject(new Error("down")), {
      retry: { attempts: 3, backoff: 10_000 },
      clock,
    })
    .run();
  const values = run.collect().catch((error: unknown) => error);
  await clock.advance(1);
  assert.ok(clock.pending >= 1, "a backoff timer is set");
  await run.cancel();
  await values;
  assert.equal(clock.pending, 0);
  const summary = await run.settled;
  assert.equal(summary.outcome, "cancelled");
  assert.equal(summary.stages[0]!.cancelled, 3);
  assertConserved(summary);
});

test("sync functions are retried too", async () => {
  const clock = new ManualClock();
  const run = from([1, 2])
    .map(
      (x: number, ctx: StageContext) => {
        if (ctx.attempt === 1) throw new Error("first");
        return x;
      },
      { retry: { attempts: 2, backoff: 5 }, clock },
    )
    .run();
  const values = run.collect();
  await clock.runAll();
  assert.deepEqual((await values).sort(), [1, 2]);
});
