import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  formatCount,
  formatCountOf,
  formatMs,
  formatRate,
  formatSeconds,
} from "../../src/internal/format.js";

describe("format", () => {
  test("formatCount groups thousands whatever the locale", () => {
    assert.equal(formatCount(200_000), "200,000");
    assert.equal(formatCount(0), "0");
  });

  test("formatCountOf makes the noun agree", () => {
    assert.equal(formatCountOf(1, "record"), "1 record");
    assert.equal(formatCountOf(2_000, "record"), "2,000 records");
    assert.equal(formatCountOf(3, "batch", "batches"), "3 batches");
  });

  test("formatRate keeps three significant digits and switches unit before 1000", () => {
    assert.equal(formatRate(0), "0/s");
    assert.equal(formatRate(999.4), "999/s");
    assert.equal(formatRate(999.5), "1.00k/s");
    assert.equal(formatRate(98_765), "98.8k/s");
    assert.equal(formatRate(999_499), "999k/s");
    assert.equal(formatRate(999_500), "1.00M/s");
    assert.equal(formatRate(12_345_678), "12.3M/s");
  });

  test("formatRate shows a dash for a rate it cannot know", () => {
    assert.equal(formatRate(Number.NaN), "-");
    assert.equal(formatRate(Number.POSITIVE_INFINITY), "-");
  });

  test("formatMs and formatSeconds round for reading", () => {
    assert.equal(formatMs(1_234.6), "1,235 ms");
    assert.equal(formatSeconds(1_234), "1.2s");
  });
});
