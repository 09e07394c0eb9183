import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { retry } from "../../src/policy/retry.js";
import { retryBudget } from "../../src/policy/retry-budget.js";
import { timeout } from "../../src/policy/timeout.js";
import { wrap } from "../../src/policy/wrap.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

const DURATION = 'a duration > 0 ms (a number of ms or a string such as "100ms", "30s")';
const BUDGET = "a number from 0 to 1 or a RetryBudget";
const CLOCK = "a clock (an object with now, setTimeout and clearTimeout)";

/** Calls a factory with a value its types refuse, as plain JavaScript could. */
const loose = <F>(factory: F): ((...args: unknown[]) => unknown) =>
  factory as unknown as (...args: unknown[]) => unknown;

describe("policy options", () => {
  test("retry: attempts is required, an integer >= 1", () => {
    const cases: [unknown, string][] = [
      [undefined, "`undefined` (undefined)"],
      [0, "`0` (number)"],
      [-1, "`-1` (number)"],
      [1.5, "`1.5` (number)"],
      [Number.NaN, "`NaN` (number)"],
      ["3", '`"3"` (string)'],
    ];
    for (const [attempts, got] of cases) {
      assertInvalid(
        () => loose(retry)({ attempts }),
        `Expected \`retry.attempts\` to be an integer >= 1, got ${got}`,
        "retry.attempts",
      );
    }
    assertInvalid(
      () => loose(retry)(),
      "Expected `retry.attempts` to be an integer >= 1, got `undefined` (undefined)",
      "retry.attempts",
    );
  });

  test("retry: budget is a ratio from 0 to 1 or a RetryBudget", () => {
    const cases: [unknown, string][] = [
      [-0.1, "`-0.1` (number)"],
      [1.5, "`1.5` (number)"],
      [Number.NaN, "`NaN` (number)"],
      ["10%", '`"10%"` (string)'],
      [{ tryRetry: () => true }, "`{}` (object)"],
    ];
    for (const [budget, got] of cases) {
      assertInvalid(
        () => loose(retry)({ attempts: 2, budget }),
        `Expected \`retry.budget\` to be ${BUDGET}, got ${got}`,
        "retry.budget",
      );
    }
    for (const budget of [0, 0.1, 1, retryBudget({ ratio: 0.2 })]) retry({ attempts: 2, budget });
  });

  test("retry: durations, functions, the clock and unknown keys", () => {
    assertInvalid(
      () => retry({ attempts: 2, backoff: -5 }),
      `Expected \`retry.backoff\` to be ${DURATION}, got \`-5\` (number)`,
      "retry.backoff",
    );
    assertInvalid(
      () => loose(retry)({ attempts: 2, maxDelay: "soon" }),
      `Expected \`retry.maxDelay\` to be ${DURATION}, got \`"soon"\` (string)`,
      "retry.maxDelay",
    );
    assertInvalid(
      () => loose(retry)({ attempts: 2, retryIf: true }),
      "Expected `retry.retryIf` to be a function, got `true` (boolean)",
      "retry.retryIf",
    );
    assertInvalid(
      () => loose(retry)({ attempts: 2, random: 0.5 }),
      "Expected `retry.random` to be a function, got `0.5` (number)",
      "retry.random",
    );
    assertInvalid(
      () => loose(retry)({ attempts: 2, clock: {} }),
      `Expected \`retry.clock\` to be ${CLOCK}, got \`{}\` (object)`,
      "retry.clock",
    );
    assertInvalid(
      () => loose(retry)({ attempts: 2, attempt: 3 }),
      "Unknown option `retry.attempt`; did you mean `attempts`? Known options: attempts, backoff, maxDelay, retryIf, budget, clock, random",
      "retry.attempt",
    );
    assertInvalid(
      () => loose(retry)(3),
      "Expected `retry` to be an options object, got `3` (number)",
      "retry",
    );
  });

  test("timeout: a duration > 0, required; a known clock option", () => {
    const cases: [unknown, string][] = [
      [undefined, "`undefined` (undefined)"],
      [-1, "`-1` (number)"],
      [0, "`0` (number)"],
      [Number.POSITIVE_INFINITY, "`Infinity` (number)"],
      ["1 week", '`"1 week"` (string)'],
    ];
    for (const [ms, got] of cases) {
      assertInvalid(
        () => loose(timeout)(ms),
        `Expected \`timeout\` to be ${DURATION}, got ${got}`,
        "timeout",
      );
    }
    assertInvalid(
      () => loose(timeout)(5, { clok: 1 }),
      "Unknown option `timeout.clok`; did you mean `clock`? Known options: clock",
      "timeout.clok",
    );
    assertInvalid(
      () => loose(timeout)(5, { clock: { now: () => 0 } }),
      `Expected \`timeout.clock\` to be ${CLOCK}, got \`{}\` (object)`,
      "timeout.clock",
    );
    timeout("30s");
  });

  test("retryBudget: ratio required from 0 to 1, window > 0, minPerWindow an integer >= 0", () => {
    assertInvalid(
      () => loose(retryBudget)(),
      "Expected `retryBudget.ratio` to be a number from 0 to 1, got `undefined` (undefined)",
      "retryBudget.ratio",
    );
    assertInvalid(
      () => retryBudget({ ratio: 2 }),
      "Expected `retryBudget.ratio` to be a number from 0 to 1, got `2` (number)",
      "retryBudget.ratio",
    );
    assertInvalid(
      () => retryBudget({ ratio: 0.1, window: 0 }),
      `Expected \`retryBudget.window\` to be ${DURATION}, got \`0\` (number)`,
      "retryBudget.window",
    );
    assertInvalid(
      () => retryBudget({ ratio: 0.1, minPerWindow: -1 }),
      "Expected `retryBudget.minPerWindow` to be an integer >= 0, got `-1` (number)",
      "retryBudget.minPerWindow",
    );
  });

  test("wrap: every argument is a policy", () => {
    assertInvalid(
      () => loose(wrap)(retry({ attempts: 2 }), null),
      "Expected `wrap.policies[1]` to be a policy (an object with execute), got `null` (null)",
      "wrap.policies[1]",
    );
    assert.doesNotThrow(() => wrap());
  });
});
