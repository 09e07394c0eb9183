import assert from "node:assert/strict";
import { test } from "node:test";
import { splitmix32 } from "../../src/testing/prng.js";

test("splitmix32 reads any position directly and always the same number", () => {
  const forward = Array.from({ length: 100 }, (_, i) => splitmix32(1, i));
  const backward = Array.from({ length: 100 }, (_, i) => splitmix32(1, 99 - i)).reverse();
  assert.deepEqual(backward, forward);
  assert.equal(new Set(forward).size, 100);
});

test("splitmix32 stays in [0, 1) and spreads evenly over it", () => {
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const value = splitmix32(12345, i);
    assert.ok(value >= 0 && value < 1);
    buckets[Math.floor(value * 10)]!++;
  }
  // 10,000 per bucket expected; the standard deviation is 95.
  for (const bucket of buckets) assert.ok(Math.abs(bucket - 10_000) < 400, String(bucket));
});

test("splitmix32 gives different streams for different seeds, negative and large ones too", () => {
  const stream = (seed: number) => Array.from({ length: 20 }, (_, i) => splitmix32(seed, i));
  assert.notDeepEqual(stream(1), stream(2));
  assert.notDeepEqual(stream(-1), stream(1));
  assert.ok(stream(Number.MAX_SAFE_INTEGER).every((value) => value >= 0 && value < 1));
});
