import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { fullJitterDelay } from "../../src/policy/backoff.js";

describe("fullJitterDelay()", () => {
  test("is random() × min(maxDelay, backoff × 2^(failed − 1))", () => {
    assert.equal(
      fullJitterDelay(1, 100, 30_000, () => 0.5),
      50,
    );
    assert.equal(
      fullJitterDelay(3, 100, 30_000, () => 0.5),
      200,
    );
    assert.equal(
      fullJitterDelay(10, 100, 30_000, () => 0.5),
      15_000,
    );
    assert.equal(
      fullJitterDelay(5_000, 100, 30_000, () => 0.5),
      15_000,
    );
    assert.equal(
      fullJitterDelay(4, 100, 30_000, () => 0),
      0,
    );
  });

  test("stays in [0, the cap) for every attempt, base, cap and random value", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.double({ min: 0.001, max: 1e6, noNaN: true }),
        fc.double({ min: 0.001, max: 1e7, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (failed, backoff, maxDelay, r) => {
          const cap = Math.min(maxDelay, backoff * 2 ** (failed - 1));
          const delay = fullJitterDelay(failed, backoff, maxDelay, () => r);
          // <= rather than <: r × cap may round up to cap when r is within an ulp of 1.
          assert.ok(delay >= 0 && delay <= cap && Number.isFinite(delay));
        },
      ),
    );
  });
});
