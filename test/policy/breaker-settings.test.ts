import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { breakerDefaults, breakerSettings } from "../../src/policy/breaker-settings.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

const DURATION = 'a duration > 0 ms (a number of ms or a string such as "100ms", "30s")';

describe("breakerSettings()", () => {
  test("defaults to 5 consecutive failures, 30 s open, 1 probe, 10,000 keys, 60 s idle", () => {
    assert.deepEqual(breakerSettings("breaker", undefined), {
      failures: 5,
      window: 10_000,
      minCalls: 10,
      halfOpenAfter: 30_000,
      halfOpenProbes: 1,
      maxKeys: 10_000,
      idle: 60_000,
    });
    assert.equal(breakerDefaults.failures, 5);
  });

  test("rate mode takes a window and minCalls; idle defaults to the larger of 60 s and 5 × window", () => {
    const key = (item: unknown): unknown => item;
    const onStateChange = (): void => {};
    const settings = breakerSettings("map.breaker", {
      rate: 0.5,
      window: "30s",
      minCalls: 20,
      halfOpenAfter: "5s",
      halfOpenProbes: 3,
      maxKeys: 100,
      key,
      onStateChange,
    });
    assert.deepEqual(settings, {
      rate: 0.5,
      window: 30_000,
      minCalls: 20,
      halfOpenAfter: 5_000,
      halfOpenProbes: 3,
      maxKeys: 100,
      idle: 150_000,
      key,
      onStateChange,
    });
    assert.equal(breakerSettings("b", { failures: 2, idle: "1s" }).idle, 1_000);
  });

  test("each bad value names the option path and the value", () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ failures: 0 }, "failures", "an integer >= 1, got `0` (number)"],
      [{ failures: 2.5 }, "failures", "an integer >= 1, got `2.5` (number)"],
      [{ rate: 0 }, "rate", "a number > 0 and <= 1, got `0` (number)"],
      [{ rate: 1.5 }, "rate", "a number > 0 and <= 1, got `1.5` (number)"],
      [{ rate: "50%" }, "rate", 'a number > 0 and <= 1, got `"50%"` (string)'],
      [{ rate: 0.5, window: 0 }, "window", `${DURATION}, got \`0\` (number)`],
      [{ rate: 0.5, minCalls: 0 }, "minCalls", "an integer >= 1, got `0` (number)"],
      [{ halfOpenAfter: -1 }, "halfOpenAfter", `${DURATION}, got \`-1\` (number)`],
      [{ halfOpenProbes: 0 }, "halfOpenProbes", "an integer >= 1, got `0` (number)"],
      [{ maxKeys: 0 }, "maxKeys", "an integer >= 1, got `0` (number)"],
      [{ idle: "soon" }, "idle", `${DURATION}, got \`"soon"\` (string)`],
      [{ onStateChange: 1 }, "onStateChange", "a function, got `1` (number)"],
      [{ key: "id" }, "key", 'a function, got `"id"` (string)'],
    ];
    for (const [options, name, rest] of cases) {
      assertInvalid(
        () => breakerSettings("map.breaker", options),
        `Expected \`map.breaker.${name}\` to be ${rest}`,
        `map.breaker.${name}`,
      );
    }
  });

  test("cross-option rules and unknown keys get their own sentences", () => {
    assertInvalid(
      () => breakerSettings("breaker", { failures: 3, rate: 0.5 }),
      "Options `breaker.failures` and `breaker.rate` cannot be used together: a circuit opens on consecutive failures or on a failure rate, not both",
      "breaker.rate",
    );
    assertInvalid(
      () => breakerSettings("breaker", { failures: 3, window: "10s" }),
      "Option `breaker.window` applies only to the failure-rate mode; set `breaker.rate` too, or leave it out",
      "breaker.window",
    );
    assertInvalid(
      () => breakerSettings("breaker", { minCalls: 5 }),
      "Option `breaker.minCalls` applies only to the failure-rate mode; set `breaker.rate` too, or leave it out",
      "breaker.minCalls",
    );
    assertInvalid(
      () => breakerSettings("breaker", { failure: 3 }),
      "Unknown option `breaker.failure`; did you mean `failures`? Known options: failures, rate, window, minCalls, halfOpenAfter, halfOpenProbes, maxKeys, idle, onStateChange, key",
      "breaker.failure",
    );
    assertInvalid(
      () => breakerSettings("breaker", 5),
      "Expected `breaker` to be an options object, got `5` (number)",
      "breaker",
    );
    assert.equal(breakerSettings("breaker", { clock: {} }, ["clock"]).failures, 5);
  });
});
