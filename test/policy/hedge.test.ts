import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { hedge, HedgeBudget } from "../../src/policy/hedge.js";
import type { PolicyContext } from "../../src/policy/policy.js";
import { sleep } from "../../src/policy/sleep.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

/** One attempt the test settles by hand. */
interface Attempt {
  readonly ctx: PolicyContext;
  readonly startedAt: number;
  resolve(value: string): void;
  reject(error: unknown): void;
}

/** A function whose attempts wait for the test, each recorded in `attempts`. */
function manual(clock: ManualClock): {
  fn: (ctx: PolicyContext) => Promise<string>;
  attempts: Attempt[];
} {
  const attempts: Attempt[] = [];
  return {
    attempts,
    fn: (ctx) =>
      new Promise<string>((resolve, reject) => {
        attempts.push({ ctx, startedAt: clock.now(), resolve, reject });
      }),
  };
}

/** Records how a promise settled, without leaving a rejection unhandled. */
function track(promise: Promise<unknown>): {
  readonly outcome: unknown;
  readonly settled: boolean;
  readonly ok: boolean;
} {
  const state = { outcome: undefined as unknown, settled: false, ok: false };
  promise.then(
    (value) => Object.assign(state, { outcome: value, settled: true, ok: true }),
    (error: unknown) => Object.assign(state, { outcome: error, settled: true }),
  );
  return state;
}

const isAbortError = (value: unknown): boolean =>
  (value as { name?: unknown } | undefined)?.name === "AbortError";

describe("hedge()", () => {
  test("starts a second attempt once the first has run `after` ms, with the same attempt number", async () => {
    const clock = new ManualClock();
    const { fn, attempts } = manual(clock);
    const result = track(hedge({ after: "50ms", clock }).execute(fn, { attempt: 3 }));
    await clock.advance(49);
    assert.equal(attempts.length, 1);
    await clock.advance(1);
    assert.equal(attempts.length, 2);
    assert.equal(attempts[1]!.startedAt, 50);
    assert.deepEqual(
      attempts.map((a) => a.ctx.attempt),
      [3, 3],
    );
    assert.notEqual(attempts[0]!.ctx.signal, attempts[1]!.ctx.signal);
    attempts[0]!.resolve("first");
    await settle();
    assert.equal(result.outcome, "first");
  });

  test("a call that settles in time is not hedged and leaves no timer", async () => {
    const clock = new ManualClock();
    const policy = hedge({ after: 50, clock });
    let calls = 0;
    const value = await policy.execute(() => {
      calls++;
      return "fast";
    });
    assert.equal(value, "fast");
    await clock.advance(100);
    assert.equal(calls, 1);
    assert.equal(clock.pending, 0);
  });

  test("the first success wins and the loser's signal aborts with an AbortError", async () => {
    const clock = new ManualClock();
    const { fn, attempts } = manual(clock);
    const result = track(hedge({ after: 50, clock }).execute(fn));
    await clock.advance(50);
    attempts[1]!.resolve("hedge");
    await settle();
    assert.equal(result.outcome, "hedge");
    assert.equal(attempts[0]!.ctx.signal.aborted, true);
    assert.ok(isAbortError(attempts[0]!.ctx.signal.reason));
    assert.equal(attempts[1]!.ctx.signal.aborted, false);
    attempts[0]!.resolve("late"); // dropped
    await settle();
    assert.equal(result.outcome, "hedge");
    assert.equal(clock.pending, 0);
  });

  test("when the hedge fails while the first attempt still runs, the first attempt's success wins", async () => {
    const clock = new ManualClock();
    const { fn, attempts } = manual(clock);
    const result = track(hedge({ after: 50, clock }).execute(fn));
    await clock.advance(50);
    attempts[1]!.reject(new Error("hedge failed"));
    await settle();
    assert.equal(result.settled, false, "waits for the other attempt");
    attempts[0]!.resolve("first");
    await settle();
    assert.equal(result.outcome, "first");
  });

  test("when both fail, it rejects with the error of the attempt that failed last, unchanged", async () => {
    const clock = new ManualClock();
    const { fn, attempts } = manual(clock);
    const result = track(hedge({ after: 50, clock }).execute(fn));
    await clock.advance(50);
    const last = new Error("first attempt, failing last");
    attempts[1]!.reject(new Error("hedge, failing first"));
    await settle();
    attempts[0]!.reject(last);
    await settle();
    assert.equal(result.outcome, last);
  });

  test("a call that fails before the hedge is due rejects at once and is not hedged", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const boom = new Error("boom");
    await assert.rejects(
      hedge({ after: 50, clock }).execute(() => {
        calls++;
        throw boom;
      }),
      (error) => error === boom,
    );
    await clock.advance(100);
    assert.equal(calls, 1);
    assert.equal(clock.pending, 0);
  });

  test("the caller's abort aborts both attempts and rejects at once with its reason", async () => {
    const clock = new ManualClock();
    const { fn, attempts } = manual(clock);
    const controller = new AbortController();
    const result = track(hedge({ after: 50, clock }).execute(fn, { signal: controller.signal }));
    await clock.advance(60);
    const reason = new Error("stop");
    controller.abort(reason);
    await settle();
    assert.equal(result.outcome, reason);
    assert.deepEqual(
      attempts.map((a) => a.ctx.signal.reason),
      [reason, reason],
    );
  });

  test("the caller's abort before the hedge is due clears its timer", async () => {
    const clock = new ManualClock();
    const { fn, attempts } = manual(clock);
    const controller = new AbortController();
    const result = track(hedge({ after: 50, clock }).execute(fn, { signal: controller.signal }));
    await clock.advance(10);
    controller.abort(new Error("stop"));
    await settle();
    assert.ok(result.settled);
    assert.equal(clock.pending, 0);
    await clock.advance(100);
    assert.equal(attempts.length, 1);
  });

  test("an already aborted signal rejects without a call", async () => {
    const reason = new Error("gone");
    let calls = 0;
    await assert.rejects(
      hedge({ after: 50, clock: new ManualClock() }).execute(
        () => {
          calls++;
        },
        { signal: AbortSignal.abort(reason) },
      ),
      (error) => error === reason,
    );
    assert.equal(calls, 0);
  });

  test("with everything slow, the budget holds hedges to 10 + 5% of 1,000 calls", async () => {
    const clock = new ManualClock();
    const { fn, attempts } = manual(clock);
    const policy = hedge({ after: 50, budget: 0.05, clock });
    const calls = Array.from({ length: 1_000 }, () => track(policy.execute(fn)));
    await clock.advance(50);
    assert.equal(attempts.length - 1_000, 60);
    for (const attempt of attempts) attempt.resolve("slow");
    await settle();
    assert.ok(calls.every((call) => call.ok));
    assert.equal(clock.pending, 0);
  });

  test("with calls arriving 1 ms apart and all slow, hedges stay within 10 + budget × calls", async () => {
    const clock = new ManualClock();
    const { fn, attempts } = manual(clock);
    const policy = hedge({ after: 50, budget: 0.05, clock });
    for (let i = 0; i < 1_000; i++) {
      track(policy.execute(fn));
      await clock.advance(1);
    }
    await clock.advance(50);
    const hedges = attempts.length - 1_000;
    assert.ok(hedges >= 50 && hedges <= 60, `${hedges} hedges`);
    for (const attempt of attempts) attempt.resolve("slow");
    await settle();
  });

  test("a shared HedgeBudget caps several policies together", async () => {
    const clock = new ManualClock();
    const budget = new HedgeBudget(0, clock, 10_000, 3);
    const { fn, attempts } = manual(clock);
    const a = hedge({ after: 10, budget, clock });
    const b = hedge({ after: 10, budget, clock });
    for (let i = 0; i < 4; i++) {
      track(a.execute(fn));
      track(b.execute(fn));
    }
    await clock.advance(10);
    assert.equal(attempts.length, 8 + 3);
    for (const attempt of attempts) attempt.resolve("x");
    await settle();
  });

  test('"p95" does not hedge while learning, then hedges at the learned p95', async () => {
    const clock = new ManualClock();
    const policy = hedge({ after: "p95", minSamples: 20, clock });
    let calls = 0;
    const timed = (ms: number) => async (ctx: PolicyContext) => {
      calls++;
      await sleep(clock, ms, ctx.signal);
      return ms;
    };
    // 19 calls: too few samples, so no hedge timer is set (the only timers are the calls').
    for (let i = 0; i < 19; i++) {
      const call = policy.execute(timed(10));
      await clock.advance(10);
      assert.equal(await call, 10);
    }
    assert.equal(calls, 19);
    assert.deepEqual(
      clock.delays,
      Array.from({ length: 19 }, () => 10),
    );
    // 81 more: 95 at 10 ms and 5 at 100 ms in all, so p95 is 10 ms.
    for (let i = 0; i < 81; i++) {
      const ms = i < 5 ? 100 : 10;
      const call = policy.execute(timed(ms));
      await clock.advance(ms);
      await call;
    }
    calls = 0;
    const delaysBefore = clock.delays.length;
    const slow = track(policy.execute(timed(1_000)));
    await settle();
    const hedgeDelay = clock.delays[delaysBefore]!;
    assert.ok(Math.abs(hedgeDelay - 10) / 10 <= 0.04, `hedged after ${hedgeDelay} ms`);
    await clock.advance(hedgeDelay);
    assert.equal(calls, 2, "hedged");
    await clock.advance(1_000);
    assert.equal(slow.outcome, 1_000);
  });

  test("a call that succeeded after a hedge counts its latency from its start", async () => {
    const clock = new ManualClock();
    const policy = hedge({ after: "p50", minSamples: 1, clock });
    const { fn, attempts } = manual(clock);
    // Learn 10 ms.
    const first = track(policy.execute(fn));
    await clock.advance(10);
    attempts[0]!.resolve("a");
    await settle();
    assert.equal(first.outcome, "a");
    // Hedged at ~10 ms; the hedge wins 5 ms later: 15 ms is observed, not 5.
    const second = track(policy.execute(fn));
    await clock.advance(11);
    assert.equal(attempts.length, 3);
    await clock.advance(4);
    attempts[2]!.resolve("b");
    await settle();
    assert.equal(second.outcome, "b");
    const delaysBefore = clock.delays.length;
    track(policy.execute(fn));
    await settle();
    // p50 of { 10, 15 } by nearest rank is 10; of { 10, 5 } it would have been 5.
    assert.ok(
      Math.abs(clock.delays[delaysBefore]! - 10) <= 0.4,
      String(clock.delays[delaysBefore]),
    );
    for (const attempt of attempts) attempt.resolve("x");
    await clock.advance(100);
  });
});

describe("hedge() options", () => {
  const AFTER =
    'a duration > 0 ms (a number of ms or a string such as "50ms") or a percentile from "p0" to "p100", exclusive, such as "p95" or "p99.9"';
  const loose = (options: unknown): unknown =>
    (hedge as unknown as (options: unknown) => unknown)(options);

  test("after is required: a duration > 0 or a percentile pNN with 0 < NN < 100", () => {
    const cases: [unknown, string][] = [
      [undefined, "`undefined` (undefined)"],
      [-5, "`-5` (number)"],
      [0, "`0` (number)"],
      ["p0", '`"p0"` (string)'],
      ["p100", '`"p100"` (string)'],
      ["p", '`"p"` (string)'],
      ["95", '`"95"` (string)'],
      ["fast", '`"fast"` (string)'],
    ];
    for (const [after, got] of cases) {
      assertInvalid(
        () => loose({ after }),
        `Expected \`hedge.after\` to be ${AFTER}, got ${got}`,
        "hedge.after",
      );
    }
    assertInvalid(
      () => loose(undefined),
      `Expected \`hedge.after\` to be ${AFTER}, got \`undefined\` (undefined)`,
      "hedge.after",
    );
  });

  test("budget, minSamples, clock and unknown keys", () => {
    assertInvalid(
      () => loose({ after: 10, budget: 1.5 }),
      "Expected `hedge.budget` to be a number from 0 to 1 or a HedgeBudget, got `1.5` (number)",
      "hedge.budget",
    );
    assertInvalid(
      () => loose({ after: "p99", minSamples: 0 }),
      "Expected `hedge.minSamples` to be an integer from 1 to 1000, got `0` (number)",
      "hedge.minSamples",
    );
    assertInvalid(
      () => loose({ after: 10, minSamples: 20 }),
      'Option `hedge.minSamples` applies only to a percentile `hedge.after` such as "p95"; leave it out with a fixed delay',
      "hedge.minSamples",
    );
    assertInvalid(
      () => loose({ after: 10, clock: {} }),
      "Expected `hedge.clock` to be a clock (an object with now, setTimeout and clearTimeout), got `{}` (object)",
      "hedge.clock",
    );
    assertInvalid(
      () => loose({ after: 10, delay: 5 }),
      "Unknown option `hedge.delay`. Known options: after, budget, minSamples, clock",
      "hedge.delay",
    );
    for (const after of [1, "50ms", "1.5s", "p50", "p99.9"]) loose({ after });
    hedge({ after: "p99", budget: new HedgeBudget(0.1, new ManualClock()) });
  });
});
