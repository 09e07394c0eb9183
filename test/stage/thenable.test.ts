import assert from "node:assert/strict";
import { test } from "node:test";
import { isThenable } from "../../src/stage/thenable.js";

test("promises and foreign thenables must be awaited; plain values must not", () => {
  assert.equal(isThenable(Promise.resolve(1)), true);
  assert.equal(isThenable({ then: () => {} }), true);
  for (const value of [1, "x", null, undefined, {}, [], () => {}, { then: 1 }]) {
    assert.equal(isThenable(value), false, String(value));
  }
});
