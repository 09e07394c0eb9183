import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { gradient, type GradientOptions } from "../../src/limit/gradient.js";
import type { Limiter } from "../../src/limit/limiter.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

/** Reports `count` successful calls of `latency` ms, each started with the limit in flight. */
function observe(limiter: Limiter, count: number, latency: number): void {
  for (let i = 0; i < count; i++) limiter.onSample(latency, Math.floor(limiter.limit), false, 0);
}

/** A limiter at 14 whose short and long averages both hold 100 ms (20 calls from 10). */
function settled(options: Partial<GradientOptions> = {}): Limiter {
  const limiter = gradient({ min: 1, max: 100, initial: 10, ...options });
  observe(limiter, 20, 100);
  return limiter;
}

function near(actual: number, expected: number, message = `${actual} is not ${expected}`): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, message);
}

describe("gradient", () => {
  test("starts at min, or at initial", () => {
    assert.equal(gradient({ min: 2, max: 10 }).limit, 2);
    assert.equal(gradient({ min: 2, max: 10, initial: 7 }).limit, 7);
    assert.equal(gradient({ min: 2, max: 10 }).max, 10);
  });

  test("at the baseline latency each call moves the limit up by smoothing × 1, fractionally", () => {
    const limiter = gradient({ min: 1, max: 100, initial: 10 });
    observe(limiter, 1, 100);
    near(limiter.limit, 10.2);
    observe(limiter, 19, 100);
    near(limiter.limit, 14);
    const slow = gradient({ min: 1, max: 100, initial: 10, smoothing: 0.5 });
    observe(slow, 2, 100);
    near(slow.limit, 11);
  });

  test("a slower call moves the limit `smoothing` of the way to limit × gradient + 1", () => {
    const limiter = settled();
    limiter.onSample(200, 14, false, 0);
    const short = 100 + (2 / 11) * (200 - 100);
    const long = 100 + (2 / 601) * (200 - 100);
    const gradientValue = (1.05 * long) / short;
    near(limiter.limit, 14 * 0.8 + (14 * gradientValue + 1) * 0.2);
  });

  test("a tolerance of 1.5 lets latency rise half over the baseline before the limit shrinks", () => {
    const limiter = settled({ tolerance: 1.5 });
    observe(limiter, 30, 140);
    assert.ok(limiter.limit > 14, String(limiter.limit));
    const strict = settled();
    observe(strict, 30, 140);
    assert.ok(strict.limit < 14, String(strict.limit));
  });

  test("the gradient is never below 0.5, however slow the call", () => {
    const limiter = settled();
    limiter.onSample(1e9, 14, false, 0);
    near(limiter.limit, 14 * 0.8 + (14 * 0.5 + 1) * 0.2);
  });

  test("a failure counts as a gradient of 0.5, timed or not, even while app-limited", () => {
    const limiter = gradient({ min: 1, max: 100, initial: 10 });
    limiter.onSample(Number.NaN, 1, true, 0);
    near(limiter.limit, 10 * 0.8 + (10 * 0.5 + 1) * 0.2);
  });

  test("calls that took 0 ms read as no queue at all", () => {
    const limiter = gradient({ min: 1, max: 100, initial: 10 });
    observe(limiter, 20, 0);
    near(limiter.limit, 14);
  });

  test("a failure's latency stays out of the averages", () => {
    const limiter = settled();
    limiter.onSample(10_000, 14, true, 0);
    near(limiter.limit, 12.8);
    observe(limiter, 1, 100);
    near(limiter.limit, 13);
  });

  test("an untimed success, or one with a latency that is no duration, changes nothing", () => {
    const limiter = settled({ probeEvery: 21 });
    for (const latency of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      for (let i = 0; i < 5; i++) limiter.onSample(latency, 14, false, 0);
    }
    near(limiter.limit, 14);
    observe(limiter, 1, 100);
    near(limiter.limit, 7, "the 21st timed call probes; untimed ones were not counted");
  });

  test("the limit does not move while the stage is app-limited", () => {
    const limiter = settled();
    for (let i = 0; i < 50; i++) limiter.onSample(1_000, 6, false, 0);
    near(limiter.limit, 14);
    limiter.onSample(1_000, 8, false, 0);
    assert.ok(limiter.limit < 14);
  });

  test("stays within min and max", () => {
    const limiter = gradient({ min: 5, max: 12, initial: 10 });
    observe(limiter, 100, 100);
    assert.equal(limiter.limit, 12);
    observe(limiter, 100, 10_000);
    assert.equal(limiter.limit, 5);
  });

  test("the baseline follows a fall in latency at once, so the next rise shrinks the limit", () => {
    const limiter = gradient({ min: 1, max: 1_000, initial: 10 });
    observe(limiter, 300, 300);
    observe(limiter, 40, 100);
    const before = limiter.limit;
    // Gradient2's symmetric long average would still be near 300 ms here and read these
    // calls as faster than the baseline.
    observe(limiter, 5, 300);
    assert.ok(limiter.limit < before, `${limiter.limit} >= ${before}`);
  });

  test("halves the limit every probeEvery timed calls that are not app-limited", () => {
    const limiter = gradient({ min: 1, max: 100, initial: 10, probeEvery: 5 });
    observe(limiter, 4, 100);
    near(limiter.limit, 10.8);
    observe(limiter, 1, 100);
    near(limiter.limit, 5.4);
    for (let i = 0; i < 10; i++) limiter.onSample(100, 2, false, 0);
    observe(limiter, 4, 100);
    near(limiter.limit, 6.2);
    observe(limiter, 1, 100);
    near(limiter.limit, 3.1);
  });

  test("a probe never takes the limit below min", () => {
    const limiter = gradient({ min: 4, max: 100, initial: 6, probeEvery: 1 });
    observe(limiter, 1, 100);
    assert.equal(limiter.limit, 4);
  });

  test("probes keep a standing queue from letting the limit creep to max", () => {
    // A fluid service of capacity 10 with no delay: a call waits in proportion to how far
    // the limit is over 10. The limit settles just above 10 and the long average then drifts
    // up to the queued latency, which Gradient2 reads as the new baseline.
    const run = (options: Partial<GradientOptions>): { peak: number; last: number } => {
      const limiter = gradient({ min: 1, max: 200, initial: 10, ...options });
      let peak = 0;
      for (let i = 0; i < 6_000; i++) {
        const inFlight = Math.floor(limiter.limit);
        limiter.onSample(200 * Math.max(1, inFlight / 10), inFlight, false, i * 20);
        peak = Math.max(peak, limiter.limit);
      }
      return { peak, last: limiter.limit };
    };
    const probing = run({});
    assert.ok(probing.peak < 20, `peaked at ${probing.peak}`);
    const never = run({ probeEvery: Number.MAX_SAFE_INTEGER });
    assert.ok(never.last > 40, `ended at ${never.last}`);
  });

  test("the limit stays finite and within [min, max] whatever the samples", () => {
    const sample = fc.record({
      latency: fc.oneof(
        fc.constantFrom(Number.NaN, 0, -1, Number.POSITIVE_INFINITY),
        fc.double({ min: 0, max: 1e7, noNaN: true }),
      ),
      inFlight: fc.integer({ min: 1, max: 300 }),
      dropped: fc.boolean(),
    });
    const options = fc
      .record({
        min: fc.integer({ min: 1, max: 50 }),
        span: fc.integer({ min: 0, max: 200 }),
        offset: fc.double({ min: 0, max: 1, noNaN: true }),
        tolerance: fc.double({ min: 1, max: 3, noNaN: true }),
        smoothing: fc.double({ min: 0.01, max: 1, noNaN: true }),
        shortWindow: fc.integer({ min: 1, max: 20 }),
        longExtra: fc.integer({ min: 1, max: 200 }),
        probeEvery: fc.integer({ min: 1, max: 100 }),
      })
      .map(({ min, span, offset, longExtra, ...rest }): GradientOptions => ({
        min,
        max: min + span,
        initial: min + Math.floor(offset * span),
        longWindow: rest.shortWindow + longExtra,
        ...rest,
      }));
    fc.assert(
      fc.property(options, fc.array(sample, { maxLength: 500 }), (options, samples) => {
        const limiter = gradient(options);
        samples.forEach(({ latency, inFlight, dropped }, i) => {
          limiter.onSample(latency, inFlight, dropped, i);
          assert.ok(Number.isFinite(limiter.limit), String(limiter.limit));
          assert.ok(limiter.limit >= options.min && limiter.limit <= options.max);
        });
      }),
      { numRuns: 300 },
    );
  });
});

const TOLERANCE = "a finite number >= 1";
const SMOOTHING = "a number above 0 and at most 1";

describe("gradient() options", () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{ max: 10 }, "gradient.min", "an integer >= 1, got `undefined` (undefined)"],
    [{ min: 1 }, "gradient.max", "an integer >= 1, got `undefined` (undefined)"],
    [{ min: 0, max: 10 }, "gradient.min", "an integer >= 1, got `0` (number)"],
    [{ min: 1, max: 2.5 }, "gradient.max", "an integer >= 1, got `2.5` (number)"],
    [{ min: 20, max: 10 }, "gradient.min", "<= `gradient.max` (10), got `20` (number)"],
    [
      { min: 2, max: 10, initial: 1 },
      "gradient.initial",
      "an integer from 2 to 10, got `1` (number)",
    ],
    [
      { min: 1, max: 10, tolerance: 0.9 },
      "gradient.tolerance",
      `${TOLERANCE}, got \`0.9\` (number)`,
    ],
    [
      { min: 1, max: 10, tolerance: NaN },
      "gradient.tolerance",
      `${TOLERANCE}, got \`NaN\` (number)`,
    ],
    [
      { min: 1, max: 10, tolerance: Infinity },
      "gradient.tolerance",
      `${TOLERANCE}, got \`Infinity\` (number)`,
    ],
    [
      { min: 1, max: 10, tolerance: "2" },
      "gradient.tolerance",
      `${TOLERANCE}, got \`"2"\` (string)`,
    ],
    [{ min: 1, max: 10, smoothing: 0 }, "gradient.smoothing", `${SMOOTHING}, got \`0\` (number)`],
    [
      { min: 1, max: 10, smoothing: 1.5 },
      "gradient.smoothing",
      `${SMOOTHING}, got \`1.5\` (number)`,
    ],
    [
      { min: 1, max: 10, smoothing: NaN },
      "gradient.smoothing",
      `${SMOOTHING}, got \`NaN\` (number)`,
    ],
    [
      { min: 1, max: 10, shortWindow: 0 },
      "gradient.shortWindow",
      "an integer >= 1, got `0` (number)",
    ],
    [
      { min: 1, max: 10, longWindow: 1.5 },
      "gradient.longWindow",
      "an integer >= 1, got `1.5` (number)",
    ],
    [
      { min: 1, max: 10, longWindow: 10 },
      "gradient.longWindow",
      "> `gradient.shortWindow` (10), got `10` (number)",
    ],
    [
      { min: 1, max: 10, shortWindow: 700 },
      "gradient.shortWindow",
      "< `gradient.longWindow` (600), got `700` (number)",
    ],
    [
      { min: 1, max: 10, probeEvery: 0 },
      "gradient.probeEvery",
      "an integer >= 1, got `0` (number)",
    ],
  ];
  for (const [options, path, rest] of cases) {
    test(`rejects ${JSON.stringify(options)}`, () => {
      assertInvalid(() => gradient(options as never), `Expected \`${path}\` to be ${rest}`, path);
    });
  }

  test("rejects an unknown option with a did-you-mean hint", () => {
    assertInvalid(
      () => gradient({ min: 1, max: 10, tolerence: 2 } as never),
      "Unknown option `gradient.tolerence`; did you mean `tolerance`? Known options: min, max, initial, tolerance, smoothing, longWindow, shortWindow, probeEvery",
      "gradient.tolerence",
    );
  });
});
