import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from, tune, type TuneOptions } from "../../src/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

const pipeline = from([1, 2, 3]).map((n) => n * 2);

/** Calls tune() with options the types would refuse: the checks are for JavaScript callers. */
function tuneWith(options: unknown): Promise<unknown> {
  return tune(pipeline, options as TuneOptions);
}

const DURATION = 'a duration > 0 ms (a number of ms or a string such as "100ms", "30s")';

describe("tune() options", () => {
  const cases: readonly [string, unknown, string, string][] = [
    [
      "sample 0",
      { sample: 0 },
      "Expected `tune.sample` to be an integer >= 1, got `0` (number)",
      "tune.sample",
    ],
    [
      "sample 1.5",
      { sample: 1.5 },
      "Expected `tune.sample` to be an integer >= 1, got `1.5` (number)",
      "tune.sample",
    ],
    [
      "sample as text",
      { sample: "100" },
      'Expected `tune.sample` to be an integer >= 1, got `"100"` (string)',
      "tune.sample",
    ],
    [
      "slo 0",
      { slo: 0 },
      `Expected \`tune.slo\` to be ${DURATION}, got \`0\` (number)`,
      "tune.slo",
    ],
    [
      "slo -5",
      { slo: -5 },
      `Expected \`tune.slo\` to be ${DURATION}, got \`-5\` (number)`,
      "tune.slo",
    ],
    [
      "slo without a unit",
      { slo: "250" },
      `Expected \`tune.slo\` to be ${DURATION}, got \`"250"\` (string)`,
      "tune.slo",
    ],
    [
      "slo NaN",
      { slo: Number.NaN },
      `Expected \`tune.slo\` to be ${DURATION}, got \`NaN\` (number)`,
      "tune.slo",
    ],
    [
      "max 0",
      { max: 0 },
      "Expected `tune.max` to be an integer >= 1, got `0` (number)",
      "tune.max",
    ],
    [
      "max Infinity",
      { max: Number.POSITIVE_INFINITY },
      "Expected `tune.max` to be an integer >= 1, got `Infinity` (number)",
      "tune.max",
    ],
    [
      "utilisation 0",
      { utilisation: 0 },
      "Expected `tune.utilisation` to be a number > 0 and <= 1, got `0` (number)",
      "tune.utilisation",
    ],
    [
      "utilisation 1.5",
      { utilisation: 1.5 },
      "Expected `tune.utilisation` to be a number > 0 and <= 1, got `1.5` (number)",
      "tune.utilisation",
    ],
    [
      "utilisation NaN",
      { utilisation: Number.NaN },
      "Expected `tune.utilisation` to be a number > 0 and <= 1, got `NaN` (number)",
      "tune.utilisation",
    ],
    [
      "utilisation as text",
      { utilisation: "0.8" },
      'Expected `tune.utilisation` to be a number > 0 and <= 1, got `"0.8"` (string)',
      "tune.utilisation",
    ],
    [
      "rate 0",
      { rate: 0 },
      "Expected `tune.rate` to be a finite number > 0 (items per second), got `0` (number)",
      "tune.rate",
    ],
    [
      "rate Infinity",
      { rate: Number.POSITIVE_INFINITY },
      "Expected `tune.rate` to be a finite number > 0 (items per second), got `Infinity` (number)",
      "tune.rate",
    ],
    [
      "stage empty",
      { stage: "" },
      'Expected `tune.stage` to be a non-empty string, got `""` (string)',
      "tune.stage",
    ],
    [
      "stage a number",
      { stage: 1 },
      "Expected `tune.stage` to be a non-empty string, got `1` (number)",
      "tune.stage",
    ],
    [
      "onTrial not a function",
      { onTrial: true },
      "Expected `tune.onTrial` to be a function, got `true` (boolean)",
      "tune.onTrial",
    ],
    [
      "signal not a signal",
      { signal: {} },
      "Expected `tune.signal` to be an AbortSignal, got `{}` (object)",
      "tune.signal",
    ],
    [
      "options not an object",
      5,
      "Expected `tune` to be an options object, got `5` (number)",
      "tune",
    ],
    [
      "utilization (American spelling)",
      { utilization: 0.5 },
      "Unknown option `tune.utilization`; did you mean `utilisation`? Known options: stage, sample, slo, max, utilisation, rate, onTrial, signal, clock",
      "tune.utilization",
    ],
  ];
  for (const [name, options, message, option] of cases) {
    test(`throws at once for ${name}`, () => {
      assertInvalid(() => tuneWith(options), message, option);
    });
  }

  test("throws at once for something that is not a pipeline", () => {
    assertInvalid(
      () => tune([1, 2, 3] as never),
      "Expected `tune(pipeline)` to be a pipeline (built with from()) or a function that returns one, got `[1,2,3]` (array)",
      "tune(pipeline)",
    );
  });

  test("rejects when the function returns something that is not a pipeline", async () => {
    await assert.rejects(tune((() => 42) as never), {
      name: "InvalidOptionError",
      message:
        "Expected `tune(pipeline)()` to be a pipeline (built with from()), got `42` (number)",
    });
  });

  test("accepts slo in ms or as a string, and every default", async () => {
    const byString = await tune(pipeline, { sample: 3, max: 1, slo: "1s" });
    assert.equal(byString.slo, 1000);
    const byNumber = await tune(pipeline, { sample: 3, max: 1, slo: 250 });
    assert.equal(byNumber.slo, 250);
    const plain = await tune(pipeline, { max: 1 });
    assert.equal(plain.sample, 1000);
    assert.equal(plain.utilisation, 0.8);
    assert.equal("slo" in plain, false);
  });

  test("a clock must have now()", () => {
    assertInvalid(
      () =>
        tune(
          from([1]).map((x: number) => x),
          { clock: { now: 5 } as never },
        ),
      'Expected `tune.clock` to be a clock (an object with now()), got `{"now":5}` (object)',
      "tune.clock",
    );
  });
});
