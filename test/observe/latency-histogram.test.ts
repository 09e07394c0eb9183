import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  histogramDelta,
  histogramQuantile,
  latencyBounds,
  LatencyRecorder,
} from "../../src/observe/latency-histogram.js";

describe("LatencyRecorder", () => {
  test("an empty histogram has no quantiles and counts of zero", () => {
    const h = new LatencyRecorder().snapshot();
    assert.equal(h.count, 0);
    assert.equal(h.sumMs, 0);
    assert.equal(h.maxMs, 0);
    assert.ok(Number.isNaN(h.p50Ms) && Number.isNaN(h.p99Ms));
    assert.equal(h.counts.length, latencyBounds.length + 1);
    assert.ok(h.counts.every((n) => n === 0));
  });

  test("bounds grow by 2^(1/4) from 1 µs to about 4.8 hours", () => {
    assert.equal(latencyBounds[0], 0.001);
    assert.equal(latencyBounds[4], 0.002);
    for (let i = 1; i < latencyBounds.length; i++) {
      assert.ok(Math.abs(latencyBounds[i]! / latencyBounds[i - 1]! - 2 ** 0.25) < 1e-9);
    }
    assert.ok(latencyBounds.at(-1)! > 4 * 3600 * 1000);
  });

  test("a sample lands in the bucket whose bounds hold it; above the last bound, in +Inf", () => {
    const r = new LatencyRecorder();
    r.record(0.002); // exactly a bound: that bucket (upper bound inclusive)
    r.record(1e9);
    r.record(-5); // counted as 0
    const h = r.snapshot();
    assert.equal(h.counts[4], 1);
    assert.equal(h.counts.at(-1), 1);
    assert.equal(h.counts[0], 1);
    assert.equal(h.count, 3);
    assert.equal(h.maxMs, 1e9);
  });

  test("quantiles are within a bucket (19%) above the nearest-rank sample, never above the max", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.002, max: 1e6, noNaN: true }), {
          minLength: 1,
          maxLength: 300,
        }),
        fc.constantFrom(0.5, 0.9, 0.99, 1),
        (samples, q) => {
          const r = new LatencyRecorder();
          for (const s of samples) r.record(s);
          const h = r.snapshot();
          const sorted = [...samples].sort((a, b) => a - b);
          const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
          const estimate = histogramQuantile(h, q);
          assert.ok(estimate >= exact * (1 - 1e-9), `${estimate} < ${exact}`);
          assert.ok(estimate <= exact * 2 ** 0.25 * (1 + 1e-9), `${estimate} > ${exact} × 1.19`);
          assert.ok(estimate <= h.maxMs);
        },
      ),
    );
  });

  test("the delta of two snapshots is the histogram of the samples between them", () => {
    const r = new LatencyRecorder();
    for (let i = 0; i < 100; i++) r.record(1);
    const before = r.snapshot();
    for (let i = 0; i < 10; i++) r.record(50);
    const delta = histogramDelta(r.snapshot(), before);
    assert.equal(delta.count, 10);
    assert.equal(delta.sumMs, 500);
    assert.equal(delta.maxMs, 50);
    assert.ok(delta.p50Ms >= 50 && delta.p50Ms < 50 * 1.19);
    const none = histogramDelta(before, before);
    assert.equal(none.count, 0);
    assert.ok(Number.isNaN(none.p99Ms));
  });
});
