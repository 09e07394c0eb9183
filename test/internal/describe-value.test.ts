import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { describeValue } from "../../src/internal/describe-value.js";

describe("describeValue", () => {
  test("shows primitives with their type", () => {
    assert.equal(describeValue(0), "`0` (number)");
    assert.equal(describeValue(-1.5), "`-1.5` (number)");
    assert.equal(describeValue(Number.NaN), "`NaN` (number)");
    assert.equal(describeValue(Number.POSITIVE_INFINITY), "`Infinity` (number)");
    assert.equal(describeValue(true), "`true` (boolean)");
    assert.equal(describeValue(undefined), "`undefined` (undefined)");
    assert.equal(describeValue(null), "`null` (null)");
    assert.equal(describeValue(10n), "`10n` (bigint)");
    assert.equal(describeValue(Symbol("s")), "`Symbol(s)` (symbol)");
  });

  test("quotes strings, so an empty or numeric string is visible as a string", () => {
    assert.equal(describeValue(""), '`""` (string)');
    assert.equal(describeValue("8"), '`"8"` (string)');
    assert.equal(describeValue('say "hi"'), '`"say \\"hi\\""` (string)');
  });

  test("names functions, and says when a function has no name", () => {
    function work(): void {}
    assert.equal(describeValue(work), "`[Function work]` (function)");
    assert.equal(describeValue([() => {}][0]), "`[Function]` (function)");
  });

  test("shows plain objects and arrays as JSON", () => {
    assert.equal(describeValue({}), "`{}` (object)");
    assert.equal(describeValue({ a: 1 }), '`{"a":1}` (object)');
    assert.equal(describeValue([1, 2]), "`[1,2]` (array)");
    assert.equal(describeValue(Object.create(null)), "`{}` (object)");
  });

  test("types an instance of a class by its class, so a Promise is not shown as a bare {}", () => {
    assert.equal(describeValue(Promise.resolve(1)), "`{}` (Promise)");
    assert.equal(describeValue(new Map([[1, 2]])), "`{}` (Map)");
    class Settings {
      readonly level = 3;
    }
    assert.equal(describeValue(new Settings()), '`{"level":3}` (Settings)');
  });

  test("cuts long JSON to 60 characters", () => {
    const shown = describeValue({ text: "x".repeat(200) });
    assert.equal(shown, `\`{"text":"${"x".repeat(48)}...\` (object)`);
  });

  test("falls back to the object tag when JSON fails on a cycle", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(describeValue(cyclic), "`[object Object]` (object)");
  });

  test("keeps the type of a large instance visible after cutting its JSON", () => {
    assert.match(describeValue(new Readable()), /^`\{.{56}\.\.\.` \(Readable\)$/);
  });

  test("never throws, even for a proxy whose traps throw", () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error("no");
        },
        ownKeys() {
          throw new Error("no");
        },
      },
    );
    assert.equal(typeof describeValue(hostile), "string");
  });
});
