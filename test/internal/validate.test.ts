import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cpuQuota } from "../../src/index.js";
import {
  booleanOption,
  checkOptionsObject,
  concurrencyOption,
  durationOption,
  enumOption,
  functionArgument,
  integerOption,
  invalid,
  optionalFunction,
  signalOption,
  stringOption,
} from "../../src/internal/validate.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

describe("invalid", () => {
  test("builds the one sentence shape with the path, the expectation and the value", () => {
    const error = invalid("x.y", "a thing", 3);
    assert.equal(error.message, "Expected `x.y` to be a thing, got `3` (number)");
    assert.equal(error.option, "x.y");
    assert.equal(error.value, 3);
  });
});

describe("checkOptionsObject", () => {
  const known = ["concurrency", "ordered", "buffer"];

  test("answers an empty object for undefined and the object itself otherwise", () => {
    assert.deepEqual(checkOptionsObject("map", undefined, known), {});
    const options = { buffer: 2 };
    assert.equal(checkOptionsObject("map", options, known), options);
  });

  test("refuses null, arrays and primitives as options", () => {
    for (const [value, shown] of [
      [null, "`null` (null)"],
      [[], "`[]` (array)"],
      [5, "`5` (number)"],
      ["fast", '`"fast"` (string)'],
    ] as const) {
      assertInvalid(
        () => checkOptionsObject("map", value, known),
        `Expected \`map\` to be an options object, got ${shown}`,
        "map",
      );
    }
  });

  test("refuses an unknown key with a did-you-mean hint for a near miss", () => {
    assertInvalid(
      () => checkOptionsObject("map", { concurency: 2 }, known),
      "Unknown option `map.concurency`; did you mean `concurrency`? Known options: concurrency, ordered, buffer",
      "map.concurency",
    );
    assertInvalid(
      () => checkOptionsObject("map", { Ordered: true }, known),
      "Unknown option `map.Ordered`; did you mean `ordered`? Known options: concurrency, ordered, buffer",
      "map.Ordered",
    );
  });

  test("refuses an unknown key without a hint when nothing is close", () => {
    assertInvalid(
      () => checkOptionsObject("map", { retries: 3 }, known),
      "Unknown option `map.retries`. Known options: concurrency, ordered, buffer",
      "map.retries",
    );
  });
});

describe("integerOption", () => {
  test("answers the default for undefined and the value when it is in range", () => {
    assert.equal(integerOption("b", undefined, 7, 1), 7);
    assert.equal(integerOption("b", 1, 7, 1), 1);
    assert.equal(integerOption("b", 10, 7, 1, 10), 10);
  });

  test("refuses non-integers, values below the minimum and above the maximum", () => {
    for (const [value, shown] of [
      [0, "`0` (number)"],
      [1.5, "`1.5` (number)"],
      [Number.NaN, "`NaN` (number)"],
      ["3", '`"3"` (string)'],
      [null, "`null` (null)"],
    ] as const) {
      assertInvalid(
        () => integerOption("x.buffer", value, 7, 1),
        `Expected \`x.buffer\` to be an integer >= 1, got ${shown}`,
        "x.buffer",
      );
    }
    assertInvalid(
      () => integerOption("x.level", 11, 1, 1, 10),
      "Expected `x.level` to be an integer from 1 to 10, got `11` (number)",
      "x.level",
    );
  });
});

describe("concurrencyOption", () => {
  test('answers the default, the value, or the CPU quota for "cpus"', () => {
    assert.equal(concurrencyOption("m.concurrency", undefined, 16), 16);
    assert.equal(concurrencyOption("m.concurrency", 3, 16), 3);
    assert.equal(concurrencyOption("m.concurrency", "cpus", 16), cpuQuota());
  });

  test("refuses Infinity, unsafe integers and anything below 1", () => {
    for (const [value, shown] of [
      [Number.POSITIVE_INFINITY, "`Infinity` (number)"],
      [2 ** 53, "`9007199254740992` (number)"],
      [0, "`0` (number)"],
      ["cores", '`"cores"` (string)'],
    ] as const) {
      assertInvalid(
        () => concurrencyOption("m.concurrency", value, 16),
        `Expected \`m.concurrency\` to be an integer >= 1 or "cpus", got ${shown}`,
        "m.concurrency",
      );
    }
  });
});

describe("booleanOption, stringOption, enumOption", () => {
  test("answer the default for undefined and the value when it fits", () => {
    assert.equal(booleanOption("m.ordered", undefined, false), false);
    assert.equal(booleanOption("m.ordered", true, false), true);
    assert.equal(stringOption("m.name", undefined, "map#1"), "map#1");
    assert.equal(stringOption("m.name", "fetch", "map#1"), "fetch");
    assert.equal(enumOption("m.onError", undefined, ["fail", "skip"], "fail"), "fail");
    assert.equal(enumOption("m.onError", "skip", ["fail", "skip"], "fail"), "skip");
  });

  test("refuse values of the wrong kind", () => {
    assertInvalid(
      () => booleanOption("m.ordered", 1, false),
      "Expected `m.ordered` to be a boolean, got `1` (number)",
      "m.ordered",
    );
    assertInvalid(
      () => stringOption("m.name", "", "map#1"),
      'Expected `m.name` to be a non-empty string, got `""` (string)',
      "m.name",
    );
    assertInvalid(
      () => enumOption("m.onError", "ignore", ["fail", "skip"], "fail"),
      'Expected `m.onError` to be one of "fail", "skip", got `"ignore"` (string)',
      "m.onError",
    );
  });
});

describe("functionArgument and optionalFunction", () => {
  test("pass functions through and refuse anything else", () => {
    const fn = (): void => {};
    assert.equal(functionArgument("m.fn", fn), fn);
    assert.equal(optionalFunction("m.deadLetter", undefined), undefined);
    assert.equal(optionalFunction("m.deadLetter", fn), fn);
    assertInvalid(
      () => functionArgument("m.fn", "x => x"),
      'Expected `m.fn` to be a function, got `"x => x"` (string)',
      "m.fn",
    );
    assertInvalid(
      () => optionalFunction("m.deadLetter", null),
      "Expected `m.deadLetter` to be a function, got `null` (null)",
      "m.deadLetter",
    );
  });
});

describe("durationOption", () => {
  test("answers milliseconds for a number or a string with a unit, the default for undefined", () => {
    assert.equal(durationOption("b.maxWait", undefined, 5), 5);
    assert.equal(durationOption("b.maxWait", 100, 5), 100);
    assert.equal(durationOption("b.maxWait", "2s", 5), 2000);
  });

  test("refuses zero, negatives and unparseable strings with one message", () => {
    const expectation = 'a duration > 0 ms (a number of ms or a string such as "100ms", "30s")';
    for (const [value, shown] of [
      [0, "`0` (number)"],
      [-1, "`-1` (number)"],
      ["0ms", '`"0ms"` (string)'],
      ["abc", '`"abc"` (string)'],
      [Number.POSITIVE_INFINITY, "`Infinity` (number)"],
    ] as const) {
      assertInvalid(
        () => durationOption("b.maxWait", value, 5),
        `Expected \`b.maxWait\` to be ${expectation}, got ${shown}`,
        "b.maxWait",
      );
    }
  });

  test("takes a custom exclusive minimum", () => {
    assert.equal(durationOption("t", 11, 5, 10), 11);
    assert.throws(() => durationOption("t", 10, 5, 10), /to be a duration > 10 ms/);
  });
});

describe("signalOption", () => {
  test("passes an AbortSignal or undefined and refuses anything else", () => {
    const signal = new AbortController().signal;
    assert.equal(signalOption("run.signal", signal), signal);
    assert.equal(signalOption("run.signal", undefined), undefined);
    assertInvalid(
      () => signalOption("run.signal", { aborted: false }),
      'Expected `run.signal` to be an AbortSignal, got `{"aborted":false}` (object)',
      "run.signal",
    );
  });
});
