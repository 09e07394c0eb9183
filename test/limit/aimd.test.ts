import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { aimd, type AimdOptions } from "../../src/limit/aimd.js";
import type { Limiter } from "../../src/limit/limiter.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

/** Reports `count` calls that took `latency` ms and started with the whole limit in flight. */
function succeed(limiter: Limiter, count: number, latency = 100, now = 0): void {
  for (let i = 0; i < count; i++) limiter.onSample(latency, limiter.limit, false, now);
}

describe("aimd", () => {
  test("starts at min, or at initial", () => {
    assert.equal(aimd({ min: 2, max: 10 }).limit, 2);
    assert.equal(aimd({ min: 2, max: 10, initial: 7 }).limit, 7);
    assert.equal(aimd({ min: 2, max: 10 }).max, 10);
  });

  test("grows by 1 after each window of `limit` successes", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 4, latency: 250 });
    succeed(limiter, 3);
    assert.equal(limiter.limit, 4);
    succeed(limiter, 1);
    assert.equal(limiter.limit, 5);
    succeed(limiter, 4);
    assert.equal(limiter.limit, 5);
    succeed(limiter, 1);
    assert.equal(limiter.limit, 6);
  });

  test("never grows above max", () => {
    const limiter = aimd({ min: 1, max: 3 });
    succeed(limiter, 100);
    assert.equal(limiter.limit, 3);
  });

  test("cuts to floor(limit × backoff) on a failure: 0.5 by default", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 11 });
    limiter.onSample(100, 11, true, 1_000);
    assert.equal(limiter.limit, 5);
    const gentler = aimd({ min: 1, max: 100, initial: 10, backoff: 0.7 });
    gentler.onSample(100, 10, true, 1_000);
    assert.equal(gentler.limit, 7);
  });

  test("cuts on a call slower than the latency target, not on one that meets it", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 10, latency: 250 });
    limiter.onSample(250, 10, false, 1_000);
    assert.equal(limiter.limit, 10);
    limiter.onSample(250.5, 10, false, 1_000);
    assert.equal(limiter.limit, 5);
  });

  test("takes the latency target as a duration string", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 10, latency: "2s" });
    limiter.onSample(2_000, 10, false, 5_000);
    assert.equal(limiter.limit, 10);
    limiter.onSample(2_001, 10, false, 5_000);
    assert.equal(limiter.limit, 5);
  });

  test("without a latency target, only failures cut", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 10 });
    limiter.onSample(3_600_000, 10, false, 4_000_000);
    assert.equal(limiter.limit, 10);
  });

  test("never cuts below min", () => {
    const limiter = aimd({ min: 3, max: 100, initial: 4, backoff: 0.1 });
    limiter.onSample(100, 4, true, 1_000);
    assert.equal(limiter.limit, 3);
  });

  test("an untimed success counts towards the window; an untimed failure still cuts", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 3, latency: 1 });
    for (let i = 0; i < 3; i++) limiter.onSample(Number.NaN, 3, false, 0);
    assert.equal(limiter.limit, 4);
    limiter.onSample(Number.NaN, 4, true, 0);
    assert.equal(limiter.limit, 2);
  });

  test("successes while the stage is app-limited do not count towards the window", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 10 });
    for (let i = 0; i < 50; i++) limiter.onSample(100, 4, false, 0);
    assert.equal(limiter.limit, 10);
    for (let i = 0; i < 10; i++) limiter.onSample(100, 5, false, 0);
    assert.equal(limiter.limit, 11);
  });

  test("a cut restarts the window", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 10, backoff: 0.5 });
    succeed(limiter, 9, 100, 0);
    limiter.onSample(100, 10, true, 1_000);
    assert.equal(limiter.limit, 5);
    succeed(limiter, 4, 100, 2_000);
    assert.equal(limiter.limit, 5);
    succeed(limiter, 1, 100, 2_000);
    assert.equal(limiter.limit, 6);
  });

  test("calls started before a cut do not cut again, however many were in flight", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 16, latency: 250, backoff: 0.5 });
    // 16 calls started at t=0 and all come back slow at t=300: one overload, one cut.
    for (let i = 0; i < 16; i++) limiter.onSample(300, 16, false, 300);
    assert.equal(limiter.limit, 8);
    // The last of them is later still, after `limit` samples have finished: still no cut.
    limiter.onSample(400, 16, false, 400);
    assert.equal(limiter.limit, 8);
  });

  test("after a cut, calls started later cut again once `limit` calls have finished", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 8, latency: 250, backoff: 0.5 });
    limiter.onSample(300, 8, false, 1_000);
    assert.equal(limiter.limit, 4);
    // Started after the cut, but the first of the 4 calls to finish since: held off.
    limiter.onSample(260, 4, true, 1_300);
    assert.equal(limiter.limit, 4);
    succeed(limiter, 2, 100, 1_300);
    // The 4th call to finish since the cut completes the count, so it may cut.
    limiter.onSample(260, 4, false, 1_300);
    assert.equal(limiter.limit, 2);
  });

  test("an untimed failure is held off only by the count of calls since the cut", () => {
    const limiter = aimd({ min: 1, max: 100, initial: 8, backoff: 0.5 });
    limiter.onSample(Number.NaN, 8, true, 1_000);
    for (let i = 0; i < 3; i++) limiter.onSample(Number.NaN, 8, true, 1_000);
    assert.equal(limiter.limit, 4);
    limiter.onSample(Number.NaN, 8, true, 1_000);
    assert.equal(limiter.limit, 2);
  });

  test("the limit stays an integer within [min, max] whatever the samples", () => {
    const sample = fc.record({
      latency: fc.oneof(fc.constant(Number.NaN), fc.double({ min: 0, max: 10_000, noNaN: true })),
      inFlight: fc.integer({ min: 1, max: 300 }),
      dropped: fc.boolean(),
      gap: fc.double({ min: 0, max: 1_000, noNaN: true }),
    });
    const options = fc
      .record({
        min: fc.integer({ min: 1, max: 50 }),
        span: fc.integer({ min: 0, max: 200 }),
        offset: fc.double({ min: 0, max: 1, noNaN: true }),
        latency: fc.option(fc.double({ min: 0.001, max: 5_000, noNaN: true }), { nil: undefined }),
        backoff: fc.option(fc.double({ min: 0.01, max: 0.99, noNaN: true }), { nil: undefined }),
      })
      .map(({ min, span, offset, latency, backoff }): AimdOptions => {
        const max = min + span;
        const initial = min + Math.floor(offset * span);
        return {
          min,
          max,
          initial,
          ...(latency === undefined ? {} : { latency }),
          ...(backoff === undefined ? {} : { backoff }),
        };
      });
    fc.assert(
      fc.property(options, fc.array(sample, { maxLength: 500 }), (options, samples) => {
        const limiter = aimd(options);
        let now = 0;
        for (const { latency, inFlight, dropped, gap } of samples) {
          now += gap;
          limiter.onSample(latency, inFlight, dropped, now);
          assert.ok(Number.isInteger(limiter.limit), String(limiter.limit));
          assert.ok(limiter.limit >= options.min && limiter.limit <= options.max);
        }
      }),
      { numRuns: 300 },
    );
  });
});

const DURATION = 'a duration > 0 ms (a number of ms or a string such as "100ms", "30s")';
const BACKOFF = "a number above 0 and below 1";

describe("aimd() options", () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{ max: 10 }, "aimd.min", "an integer >= 1, got `undefined` (undefined)"],
    [{ min: 1 }, "aimd.max", "an integer >= 1, got `undefined` (undefined)"],
    [{ min: 0, max: 10 }, "aimd.min", "an integer >= 1, got `0` (number)"],
    [{ min: 1.5, max: 10 }, "aimd.min", "an integer >= 1, got `1.5` (number)"],
    [{ min: "1", max: 10 }, "aimd.min", 'an integer >= 1, got `"1"` (string)'],
    [{ min: 1, max: Number.NaN }, "aimd.max", "an integer >= 1, got `NaN` (number)"],
    [{ min: 20, max: 10 }, "aimd.min", "<= `aimd.max` (10), got `20` (number)"],
    [{ min: 2, max: 10, initial: 1 }, "aimd.initial", "an integer from 2 to 10, got `1` (number)"],
    [
      { min: 2, max: 10, initial: 11 },
      "aimd.initial",
      "an integer from 2 to 10, got `11` (number)",
    ],
    [
      { min: 2, max: 10, initial: 2.5 },
      "aimd.initial",
      "an integer from 2 to 10, got `2.5` (number)",
    ],
    [{ min: 1, max: 10, latency: 0 }, "aimd.latency", `${DURATION}, got \`0\` (number)`],
    [{ min: 1, max: 10, latency: -5 }, "aimd.latency", `${DURATION}, got \`-5\` (number)`],
    [{ min: 1, max: 10, latency: Number.NaN }, "aimd.latency", `${DURATION}, got \`NaN\` (number)`],
    [{ min: 1, max: 10, latency: "fast" }, "aimd.latency", `${DURATION}, got \`"fast"\` (string)`],
    [{ min: 1, max: 10, latency: "0ms" }, "aimd.latency", `${DURATION}, got \`"0ms"\` (string)`],
    [{ min: 1, max: 10, backoff: 0 }, "aimd.backoff", `${BACKOFF}, got \`0\` (number)`],
    [{ min: 1, max: 10, backoff: 1 }, "aimd.backoff", `${BACKOFF}, got \`1\` (number)`],
    [{ min: 1, max: 10, backoff: Number.NaN }, "aimd.backoff", `${BACKOFF}, got \`NaN\` (number)`],
    [{ min: 1, max: 10, backoff: "0.5" }, "aimd.backoff", `${BACKOFF}, got \`"0.5"\` (string)`],
  ];
  for (const [options, path, rest] of cases) {
    test(`rejects ${JSON.stringify(options)}`, () => {
      assertInvalid(() => aimd(options as never), `Expected \`${path}\` to be ${rest}`, path);
    });
  }

  test("rejects an unknown option with a did-you-mean hint", () => {
    assertInvalid(
      () => aimd({ min: 1, max: 10, latancy: 100 } as never),
      "Unknown option `aimd.latancy`; did you mean `latency`? Known options: min, max, initial, latency, backoff",
      "aimd.latancy",
    );
  });

  test("rejects options that are not an object", () => {
    assertInvalid(
      () => aimd(10 as never),
      "Expected `aimd` to be an options object, got `10` (number)",
      "aimd",
    );
    assertInvalid(
      () => aimd(undefined as never),
      "Expected `aimd.min` to be an integer >= 1, got `undefined` (undefined)",
      "aimd.min",
    );
  });
});
