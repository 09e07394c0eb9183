import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HedgeTrigger, parseHedgeAfter } from "../../src/policy/hedge-trigger.js";
import { QuantileSketch } from "../../src/policy/quantile-sketch.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

describe("parseHedgeAfter()", () => {
  test("reads ms, duration strings and percentiles", () => {
    assert.equal(parseHedgeAfter("x", 25), 25);
    assert.equal(parseHedgeAfter("x", "50ms"), 50);
    assert.equal(parseHedgeAfter("x", "1.5s"), 1_500);
    assert.deepEqual(parseHedgeAfter("x", "p95"), { quantile: 0.95 });
    assert.deepEqual(parseHedgeAfter("x", "p99.9"), { quantile: 0.999 });
    assert.deepEqual(parseHedgeAfter("x", "p0.5"), { quantile: 0.005 });
  });

  test("names the option path and the value it refuses", () => {
    for (const value of ["p0", "p100", "p", "95", -5, "fast", "p-5", "P95", null, Number.NaN]) {
      assert.throws(
        () => parseHedgeAfter("map.hedge.after", value),
        (error: unknown) => {
          assert.equal((error as { option?: unknown }).option, "map.hedge.after");
          assert.match(
            (error as Error).message,
            /^Expected `map\.hedge\.after` to be a duration > 0 ms/,
          );
          return true;
        },
      );
    }
    assertInvalid(
      () => parseHedgeAfter("hedge.after", "p100"),
      'Expected `hedge.after` to be a duration > 0 ms (a number of ms or a string such as "50ms") or a percentile from "p0" to "p100", exclusive, such as "p95" or "p99.9", got `"p100"` (string)',
      "hedge.after",
    );
  });
});

describe("HedgeTrigger", () => {
  test("a fixed delay is returned as it is and learns nothing", () => {
    const sketch = new QuantileSketch({ minSamples: 1 });
    const trigger = new HedgeTrigger(40, sketch);
    trigger.observe(5);
    assert.equal(trigger.delay(), 40);
    assert.equal(trigger.learns, false);
    assert.equal(sketch.count, 0);
  });

  test("a quantile is Infinity until the sketch has minSamples, then the estimate", () => {
    const trigger = new HedgeTrigger({ quantile: 0.9 }, new QuantileSketch({ minSamples: 10 }));
    for (let i = 0; i < 9; i++) trigger.observe(20);
    assert.equal(trigger.delay(), Number.POSITIVE_INFINITY);
    trigger.observe(20);
    assert.ok(Math.abs(trigger.delay() - 20) <= 0.8, String(trigger.delay()));
    assert.equal(trigger.learns, true);
  });
});
