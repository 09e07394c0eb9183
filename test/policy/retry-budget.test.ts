import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { retryBudget, WindowedRetryBudget } from "../../src/policy/retry-budget.js";
import { ManualClock } from "../helpers/manual-clock.js";

/** Takes retries until refused; returns how many were granted. */
function drain(budget: { tryRetry(): boolean }): number {
  let granted = 0;
  while (budget.tryRetry()) granted++;
  return granted;
}

describe("retryBudget()", () => {
  test("allows minPerWindow retries with no calls at all, then refuses", () => {
    const budget = retryBudget({ ratio: 0.1, clock: new ManualClock() });
    assert.equal(drain(budget), 10);
    assert.equal(budget.tryRetry(), false);
  });

  test("each call earns `ratio` of a retry on top of the minimum", () => {
    const budget = retryBudget({ ratio: 0.1, minPerWindow: 0, clock: new ManualClock() });
    for (let i = 0; i < 99; i++) budget.recordFirst();
    assert.equal(drain(budget), 9);
    budget.recordFirst();
    assert.equal(drain(budget), 1);
  });

  test("a refused retry leaves the counts unchanged", () => {
    const budget = new WindowedRetryBudget(0.5, 1_000, 0, new ManualClock());
    budget.recordFirst();
    budget.recordFirst();
    assert.equal(budget.available, 1);
    assert.equal(budget.tryRetry(), true);
    assert.equal(budget.tryRetry(), false);
    assert.equal(budget.tryRetry(), false);
    budget.recordFirst();
    budget.recordFirst();
    assert.equal(budget.available, 1);
  });

  test("retries come back as the window slides past them, a tenth of the window at a time", async () => {
    const clock = new ManualClock();
    const budget = retryBudget({ ratio: 0, minPerWindow: 2, window: "10s", clock });
    assert.equal(drain(budget), 2);
    await clock.advance(5_000);
    assert.equal(budget.tryRetry(), false);
    await clock.advance(4_999); // 9,999 ms: the bucket [0, 1000) is still in the window
    assert.equal(budget.tryRetry(), false);
    await clock.advance(1); // 10,000 ms: it has left
    assert.equal(drain(budget), 2);
  });

  test("calls earn retries only while they are in the window", async () => {
    const clock = new ManualClock();
    const budget = retryBudget({ ratio: 1, minPerWindow: 0, window: 1_000, clock });
    for (let i = 0; i < 5; i++) budget.recordFirst();
    await clock.advance(1_000);
    assert.equal(budget.tryRetry(), false);
    budget.recordFirst();
    assert.equal(drain(budget), 1);
  });

  test("a quiet spell longer than the window empties every bucket", async () => {
    const clock = new ManualClock();
    const budget = new WindowedRetryBudget(1, 1_000, 0, clock);
    for (let t = 0; t < 10; t++) {
      budget.recordFirst();
      await clock.advance(100);
    }
    assert.equal(budget.available, 9);
    await clock.advance(50_000);
    assert.equal(budget.available, 0);
  });

  test("ratio 0 with minPerWindow 0 allows no retry", () => {
    const budget = retryBudget({ ratio: 0, minPerWindow: 0, clock: new ManualClock() });
    budget.recordFirst();
    assert.equal(budget.tryRetry(), false);
  });

  test("grants a retry only while the retries in the window stay within min + ratio × calls in it", () => {
    // Bucket arithmetic is checked against a log of every event: the window at time t is the
    // bucket of t and the 9 before it.
    const op = fc.oneof(
      fc.constant({ kind: "first" as const }),
      fc.constant({ kind: "retry" as const }),
      fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 2_500 }) }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        (ops, ratio, min) => {
          let now = 0;
          const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} };
          const budget = new WindowedRetryBudget(ratio, 1_000, min, clock);
          const firsts: number[] = [];
          const retries: number[] = [];
          for (const o of ops) {
            if (o.kind === "wait") now += o.ms;
            else if (o.kind === "first") {
              budget.recordFirst();
              firsts.push(now);
            } else {
              const from = (Math.floor(now / 100) - 9) * 100;
              const inWindow = (t: number): boolean => t >= from;
              const expected =
                retries.filter(inWindow).length + 1 <= min + ratio * firsts.filter(inWindow).length;
              assert.equal(budget.tryRetry(), expected);
              if (expected) retries.push(now);
            }
          }
        },
      ),
    );
  });
});
