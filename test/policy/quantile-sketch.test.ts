import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { QuantileSketch } from "../../src/policy/quantile-sketch.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

/** A seeded generator of numbers in [0, 1) (mulberry32), so every run sees the same samples. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The nearest-rank quantile of a sample: the smallest value with q × n values at or below it. */
function nearestRank(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

/** Asserts `estimate` is within the sketch's 4% relative error of `exact`. */
function assertClose(estimate: number, exact: number, label: string): void {
  const error = Math.abs(estimate - exact) / exact;
  assert.ok(
    error <= 0.04 + 1e-9,
    `${label}: ${estimate} vs ${exact} (${(error * 100).toFixed(2)}%)`,
  );
}

describe("QuantileSketch", () => {
  test("answers NaN until minSamples samples are in view", () => {
    const sketch = new QuantileSketch({ minSamples: 20 });
    for (let i = 0; i < 19; i++) sketch.add(10);
    assert.ok(Number.isNaN(sketch.quantile(0.5)));
    assert.equal(sketch.count, 19);
    sketch.add(10);
    assertClose(sketch.quantile(0.5), 10, "p50");
  });

  test("uniform latencies: p50, p90, p99 within 4% of the sample quantiles", () => {
    const random = seeded(1);
    const sketch = new QuantileSketch();
    const samples: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const ms = 1 + 99 * random();
      samples.push(ms);
      sketch.add(ms);
    }
    for (const q of [0.5, 0.9, 0.99])
      assertClose(sketch.quantile(q), nearestRank(samples, q), `p${q * 100}`);
  });

  test("bimodal latencies (98% 5–10 ms, 2% 500–1000 ms): p95 within 4% of the true ≈ 9.7 ms, p99 in the slow mode", () => {
    const random = seeded(7);
    const sketch = new QuantileSketch();
    const samples: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const ms = random() < 0.98 ? 5 + 5 * random() : 500 + 500 * random();
      samples.push(ms);
      sketch.add(ms);
    }
    const p95 = nearestRank(samples, 0.95);
    assert.ok(p95 > 9.5 && p95 < 10, `the sample's p95 is ${p95}`);
    assertClose(sketch.quantile(0.95), p95, "p95");
    assertClose(sketch.quantile(0.99), nearestRank(samples, 0.99), "p99");
    assert.ok(sketch.quantile(0.99) >= 480);
  });

  test("follows a drift: after two windows of new samples the old ones have left the view", () => {
    const sketch = new QuantileSketch({ window: 100 });
    for (let i = 0; i < 200; i++) sketch.add(10);
    assert.equal(sketch.count, 200);
    for (let i = 0; i < 100; i++) sketch.add(100);
    // The view is the previous window (all 10 ms) and the current one (all 100 ms).
    assert.equal(sketch.count, 200);
    assertClose(sketch.quantile(0.25), 10, "p25, half old");
    assertClose(sketch.quantile(0.75), 100, "p75, half new");
    sketch.add(100);
    // The window turned: the 10 ms samples are gone.
    assert.equal(sketch.count, 101);
    assertClose(sketch.quantile(0.01), 100, "p1, all new");
  });

  test("latencies below 0.01 ms answer 0.01; negative ones count as 0; NaN is ignored", () => {
    const sketch = new QuantileSketch({ minSamples: 1 });
    sketch.add(Number.NaN);
    assert.equal(sketch.count, 0);
    sketch.add(-5);
    sketch.add(0);
    sketch.add(0.001);
    assert.equal(sketch.count, 3);
    assert.equal(sketch.quantile(0.99), 0.01);
  });

  test("huge latencies land in the top bucket instead of overflowing", () => {
    const sketch = new QuantileSketch({ minSamples: 1 });
    sketch.add(Number.POSITIVE_INFINITY);
    sketch.add(1e12);
    const top = sketch.quantile(0.5);
    assert.ok(Number.isFinite(top) && top > 9e6 && top < 1.1e7, String(top));
  });

  test("is within 4% of the nearest-rank quantile of the samples in view, for any samples from 0.01 ms to 1e7 ms", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 1e7, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.integer({ min: 1, max: 100 }),
        (samples, q, window) => {
          const sketch = new QuantileSketch({ window, minSamples: 1 });
          for (const ms of samples) sketch.add(ms);
          // The view: the current window (the samples since the last turn) and the one before.
          const inCurrent = ((samples.length - 1) % window) + 1;
          const view = samples.slice(-Math.min(samples.length, window + inCurrent));
          assert.equal(sketch.count, view.length);
          assertClose(sketch.quantile(q), nearestRank(view, q), "quantile");
        },
      ),
    );
  });

  test("bad options and a quantile outside (0, 1) throw an InvalidOptionError", () => {
    assertInvalid(
      () => new QuantileSketch({ window: 0 }),
      "Expected `QuantileSketch.window` to be an integer >= 1, got `0` (number)",
      "QuantileSketch.window",
    );
    assertInvalid(
      () => new QuantileSketch({ window: 10, minSamples: 11 }),
      "Expected `QuantileSketch.minSamples` to be an integer from 1 to 10, got `11` (number)",
      "QuantileSketch.minSamples",
    );
    const sketch = new QuantileSketch();
    for (const q of [0, 1, -0.5, Number.NaN]) {
      assert.throws(
        () => sketch.quantile(q),
        /Expected `QuantileSketch.quantile\(q\)` to be a number > 0 and < 1/,
      );
    }
  });
});
