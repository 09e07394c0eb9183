import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { retry } from "../../src/policy/retry.js";
import { retryBudget } from "../../src/policy/retry-budget.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

/** A function that fails its first `failures` attempts, recording the attempt numbers. */
function flaky(failures: number): { fn: (ctx: { attempt: number }) => string; seen: number[] } {
  const seen: number[] = [];
  return {
    seen,
    fn: (ctx) => {
      seen.push(ctx.attempt);
      if (seen.length <= failures) throw new Error(`failure ${seen.length}`);
      return "ok";
    },
  };
}

/** Records how a promise settled, without leaving a rejection unhandled. */
function track(promise: Promise<unknown>): {
  readonly outcome: unknown;
  readonly settled: boolean;
} {
  const state = { outcome: undefined as unknown, settled: false };
  promise.then(
    (value) => Object.assign(state, { outcome: value, settled: true }),
    (error: unknown) => Object.assign(state, { outcome: error, settled: true }),
  );
  return state;
}

describe("retry()", () => {
  test("succeeds on the third attempt after two full-jitter delays, counting ctx.attempt from 1", async () => {
    const clock = new ManualClock();
    const { fn, seen } = flaky(2);
    const result = track(retry({ attempts: 3, clock, random: () => 0.5 }).execute(fn));
    await settle();
    assert.deepEqual(seen, [1]);
    await clock.advance(49);
    assert.deepEqual(seen, [1]);
    await clock.advance(1);
    assert.deepEqual(seen, [1, 2]);
    await clock.advance(100);
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(result.outcome, "ok");
    // 0.5 × 100 ms, then 0.5 × 200 ms.
    assert.deepEqual(clock.delays, [50, 100]);
    assert.equal(clock.pending, 0);
  });

  test("delays grow by doubling from backoff and stop at maxDelay", async () => {
    const clock = new ManualClock();
    const { fn } = flaky(Number.POSITIVE_INFINITY);
    const result = track(
      retry({ attempts: 6, backoff: "100ms", maxDelay: 300, clock, random: () => 0.5 }).execute(fn),
    );
    await clock.advance(10_000);
    assert.ok(result.settled);
    assert.deepEqual(clock.delays, [50, 100, 150, 150, 150]);
  });

  test("rejects with the last attempt's error unchanged after exactly `attempts` calls", async () => {
    const clock = new ManualClock();
    const { fn, seen } = flaky(Number.POSITIVE_INFINITY);
    const result = track(retry({ attempts: 4, clock, random: () => 0.25 }).execute(fn));
    await clock.advance(1_000);
    assert.deepEqual(seen, [1, 2, 3, 4]);
    assert.ok(result.outcome instanceof Error);
    assert.equal(result.outcome.message, "failure 4");
    assert.equal(Object.keys(result.outcome).length, 0, "nothing is attached to the error");
    assert.equal(clock.pending, 0);
  });

  test("attempts: 1 makes one call and no timer", async () => {
    const clock = new ManualClock();
    const { fn, seen } = flaky(1);
    await assert.rejects(retry({ attempts: 1, clock }).execute(fn), /failure 1/);
    assert.deepEqual(seen, [1]);
    assert.equal(clock.delays.length, 0);
  });

  test("retryIf false rejects at once with that error, after one call and no timer", async () => {
    const clock = new ManualClock();
    const { fn, seen } = flaky(5);
    const asked: [unknown, number][] = [];
    await assert.rejects(
      retry({
        attempts: 5,
        clock,
        retryIf: (error, attempt) => {
          asked.push([error, attempt]);
          return false;
        },
      }).execute(fn),
      /failure 1/,
    );
    assert.deepEqual(seen, [1]);
    assert.equal(asked.length, 1);
    assert.equal((asked[0]![0] as Error).message, "failure 1");
    assert.equal(asked[0]![1], 1);
    assert.equal(clock.delays.length, 0);
  });

  test("retryIf sees each failed attempt's number and can stop on a later one", async () => {
    const clock = new ManualClock();
    const { fn, seen } = flaky(5);
    const result = track(
      retry({ attempts: 5, clock, random: () => 0, retryIf: (_, attempt) => attempt < 2 }).execute(
        fn,
      ),
    );
    await clock.advance(0);
    assert.deepEqual(seen, [1, 2]);
    assert.equal((result.outcome as Error).message, "failure 2");
  });

  test("by default an error named AbortError is not retried", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const abort = new DOMException("aborted", "AbortError");
    await assert.rejects(
      retry({ attempts: 3, clock }).execute(() => {
        calls++;
        throw abort;
      }),
      (error) => error === abort,
    );
    assert.equal(calls, 1);
  });

  test("abort during backoff rejects at once with the signal's reason and clears the timer", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const { fn, seen } = flaky(Number.POSITIVE_INFINITY);
    const result = track(
      retry({ attempts: 3, clock, random: () => 0.5 }).execute(fn, { signal: controller.signal }),
    );
    await clock.advance(10);
    assert.equal(clock.pending, 1);
    const reason = new Error("shutting down");
    controller.abort(reason);
    await settle();
    assert.equal(result.outcome, reason);
    assert.equal(clock.pending, 0);
    await clock.advance(1_000);
    assert.deepEqual(seen, [1], "no attempt after the abort");
  });

  test("an attempt that fails after the caller aborted is not retried", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    let calls = 0;
    const result = retry({ attempts: 3, clock, retryIf: () => true }).execute(
      () => {
        calls++;
        controller.abort(new Error("stop"));
        throw new Error("failed while stopping");
      },
      { signal: controller.signal },
    );
    await assert.rejects(result, /failed while stopping/);
    assert.equal(calls, 1);
    assert.equal(clock.pending, 0);
  });

  test("an already aborted signal rejects without a call", async () => {
    const reason = new Error("gone");
    let calls = 0;
    await assert.rejects(
      retry({ attempts: 3, clock: new ManualClock() }).execute(
        () => {
          calls++;
        },
        { signal: AbortSignal.abort(reason) },
      ),
      (error) => error === reason,
    );
    assert.equal(calls, 0);
  });

  test("every attempt gets the caller's signal, or one of the call's own when none is given", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const policy = retry({ attempts: 2, clock, random: () => 0 });
    const record = (ctx: { signal: AbortSignal; attempt: number }): number => {
      signals.push(ctx.signal);
      if (ctx.attempt === 1) throw new Error("again");
      return ctx.attempt;
    };
    const first = policy.execute(record, { signal: controller.signal });
    await clock.advance(0);
    assert.equal(await first, 2);
    assert.deepEqual(signals, [controller.signal, controller.signal]);
    signals.length = 0;
    const second = policy.execute(record);
    await clock.advance(0);
    assert.equal(await second, 2);
    assert.equal(signals[0], signals[1]);
    assert.equal(signals[0]!.aborted, false);
  });

  test("with the budget exhausted in one window, the error is thrown at once: exactly min + ratio × calls retries", async () => {
    const clock = new ManualClock();
    const policy = retry({ attempts: 3, budget: 0.1, clock, random: () => 0.5 });
    let attempts = 0;
    const calls = Array.from({ length: 200 }, () =>
      track(
        policy.execute(() => {
          attempts++;
          throw new Error("down");
        }),
      ),
    );
    await settle();
    // 200 first attempts earn 20 retries, plus the 10 every window allows.
    assert.equal(clock.pending, 30);
    const rejectedAtOnce = calls.filter((call) => call.settled).length;
    assert.equal(rejectedAtOnce, 170, "no timer for a call the budget refused");
    await clock.advance(1_000);
    assert.ok(calls.every((call) => call.settled));
    assert.equal(attempts, 230);
  });

  test("a dependency failing 100% mid-outage: attempts stay within 1.1 × calls + the per-window minimum", async () => {
    const clock = new ManualClock();
    const policy = retry({ attempts: 5, budget: 0.1, clock, random: () => 0.5 });
    let down = false;
    let firsts = 0;
    let attempts = 0;
    let lastAttemptAt = 0;
    const pending: { readonly settled: boolean }[] = [];
    // 10 calls per second for 60 s; the dependency goes down after 5 s and stays down.
    for (let second = 0; second < 60; second++) {
      if (second === 5) down = true;
      for (let i = 0; i < 10; i++) {
        firsts++;
        pending.push(
          track(
            policy.execute(() => {
              attempts++;
              lastAttemptAt = clock.now();
              if (down) throw new Error("down");
              return "ok";
            }),
          ),
        );
        await clock.advance(100);
      }
    }
    await clock.advance(60_000);
    assert.ok(pending.every((call) => call.settled));
    // Windows the run touched, from the first call to the last attempt.
    const windows = Math.floor(lastAttemptAt / 10_000) + 1;
    assert.ok(attempts <= 1.1 * firsts + 10 * windows, `${attempts} attempts for ${firsts} calls`);
    // Without the budget: 50 + 550 × 5 = 2,800 attempts.
    assert.ok(attempts > firsts, "some calls were still retried");
  });

  test("one retryBudget shared by two policies caps them together", async () => {
    const clock = new ManualClock();
    const budget = retryBudget({ ratio: 0, minPerWindow: 3, clock });
    const a = retry({ attempts: 10, budget, clock, random: () => 0 });
    const b = retry({ attempts: 10, budget, clock, random: () => 0 });
    let attempts = 0;
    const fail = (): never => {
      attempts++;
      throw new Error("down");
    };
    const results = [track(a.execute(fail)), track(b.execute(fail))];
    await clock.advance(0);
    await clock.advance(0);
    assert.ok(results.every((r) => r.settled));
    assert.equal(attempts, 2 + 3);
  });

  test("a synchronous throw is retried like a rejection", async () => {
    const clock = new ManualClock();
    const { fn, seen } = flaky(1);
    const result = retry({ attempts: 2, clock, random: () => 0 }).execute(fn);
    await clock.advance(0);
    assert.equal(await result, "ok");
    assert.deepEqual(seen, [1, 2]);
  });
});
