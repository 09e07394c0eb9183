import assert from "node:assert/strict";
import { test } from "node:test";
import { from, isInvalidOptionError } from "../../../src/index.js";
import { assertInvalid } from "../../helpers/assert-invalid.js";

const map = (options: unknown): unknown => from([1]).map((x: number) => x, options as never);

test("bad resilience options throw at once, naming the option and the value", () => {
  assertInvalid(
    () => map({ retry: { attempts: 0 } }),
    "Expected `map.retry.attempts` to be an integer >= 1, got `0` (number)",
    "map.retry.attempts",
  );
  assertInvalid(
    () => map({ retry: {} }),
    "Expected `map.retry.attempts` to be an integer >= 1, got `undefined` (undefined)",
    "map.retry.attempts",
  );
  assertInvalid(
    () => map({ retry: { attempts: 3, budget: 2 } }),
    "Expected `map.retry.budget` to be a number from 0 to 1 or a RetryBudget, got `2` (number)",
    "map.retry.budget",
  );
  assertInvalid(
    () => map({ timeout: -5 }),
    'Expected `map.timeout` to be a duration > 0 ms (a number of ms or a string such as "100ms", "30s"), got `-5` (number)',
    "map.timeout",
  );
  assert.throws(
    () => map({ hedge: { after: "fast" } }),
    (error: unknown) => isInvalidOptionError(error) && error.option === "map.hedge.after",
  );
  assert.throws(
    () => map({ hedge: { after: "p100" } }),
    (error: unknown) => isInvalidOptionError(error) && /p100/.test(error.message),
  );
  assertInvalid(
    () => map({ hedge: { after: 10, budget: 1.5 } }),
    "Expected `map.hedge.budget` to be a number from 0 to 1, got `1.5` (number)",
    "map.hedge.budget",
  );
  assert.throws(
    () => map({ breaker: { failures: 3, rate: 0.5 } }),
    (error: unknown) =>
      isInvalidOptionError(error) && /cannot be used together/.test(error.message),
  );
  assert.throws(
    () => map({ dedupe: "id" }),
    (error: unknown) => isInvalidOptionError(error) && error.option === "map.dedupe",
  );
  assert.throws(
    () => map({ clock: {} }),
    (error: unknown) => isInvalidOptionError(error) && error.option === "map.clock",
  );
});

test("flatMap refuses them: another attempt would emit its values again", () => {
  assert.throws(
    () => from([1]).flatMap((x: number) => [x], { retry: { attempts: 2 } }),
    (error: unknown) =>
      isInvalidOptionError(error) &&
      error.option === "flatMap.retry" &&
      /not to flatMap/.test(error.message),
  );
  assert.throws(
    () => from([1]).flatMap((x: number) => [x], { timeout: 10 }),
    (error: unknown) => isInvalidOptionError(error) && error.option === "flatMap.timeout",
  );
});

test("a stage without them has no resilience spec: it runs today's path", () => {
  const pipeline = from([1]).map((x: number) => x, { concurrency: 2 });
  assert.equal(pipeline.stages.length, 1);
});
