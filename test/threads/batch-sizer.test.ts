import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BatchSizer, MAX_BATCH } from "../../src/threads/batch-sizer.js";

describe("BatchSizer", () => {
  test("starts small, before any item's cost is known", () => {
    assert.equal(new BatchSizer(undefined).size, 8);
  });

  test("grows to the largest batch for cheap items (2 µs each)", () => {
    const sizer = new BatchSizer(undefined);
    sizer.observe(8, 0.016);
    assert.equal(sizer.size, MAX_BATCH);
  });

  test("aims at ~4 ms of work per batch: 0.5 ms items go 8 at a time, 10 ms items alone", () => {
    const medium = new BatchSizer(undefined);
    medium.observe(8, 4);
    assert.equal(medium.size, 8);
    const heavy = new BatchSizer(undefined);
    heavy.observe(8, 80);
    assert.equal(heavy.size, 1);
  });

  test("follows a moving average, not the last batch alone", () => {
    const sizer = new BatchSizer(undefined);
    sizer.observe(100, 100); // 1 ms per item: 4
    sizer.observe(100, 0.1); // then cheap: the average falls to 0.7 ms, not 1 µs
    assert.equal(sizer.size, Math.round(4 / (1 * 0.7 + 0.001 * 0.3)));
  });

  test("a fixed batch never changes", () => {
    const sizer = new BatchSizer(64);
    sizer.observe(64, 1000);
    assert.equal(sizer.size, 64);
  });
});
