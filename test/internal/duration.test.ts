import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseDuration } from "../../src/internal/duration.js";

describe("parseDuration", () => {
  test("takes a finite number >= 0 as milliseconds", () => {
    assert.equal(parseDuration(0), 0);
    assert.equal(parseDuration(250), 250);
    assert.equal(parseDuration(0.5), 0.5);
  });

  test("refuses negative, NaN and infinite numbers", () => {
    for (const value of [-1, -0.001, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.equal(parseDuration(value), undefined, String(value));
    }
  });

  test("converts a string with a unit (ms, s, m, h) to milliseconds", () => {
    const cases: [string, number][] = [
      ["100ms", 100],
      ["30s", 30_000],
      ["1.5m", 90_000],
      ["2h", 7_200_000],
      [".5s", 500],
      ["0ms", 0],
      [" 10 s ", 10_000],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  });

  test("refuses strings without a known unit or with a sign or exponent", () => {
    for (const text of ["", "10", "abc", "1d", "-1s", "+1s", "1e3ms", "1.s", "ms", "1 sec", "1S"]) {
      assert.equal(parseDuration(text), undefined, JSON.stringify(text));
    }
  });

  test("refuses values that are neither numbers nor strings", () => {
    for (const value of [null, undefined, true, {}, [], 10n]) {
      assert.equal(parseDuration(value), undefined);
    }
  });

  test("a whole number of any unit round-trips to that many unit lengths", () => {
    const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])),
        (n, unit) => parseDuration(`${n}${unit}`) === n * units[unit],
      ),
    );
  });
});
