import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { denseArray } from "../../src/threads/dense-array.js";
import { clonedDense } from "../helpers/cloned-dense.js";

describe("denseArray", () => {
  test("holds `count` undefined slots", () => {
    assert.deepEqual(denseArray(3), [undefined, undefined, undefined]);
    assert.deepEqual(denseArray(0), []);
  });

  test("filled in any order, it is cloned dense, where `new Array(n)` is cloned sparse", () => {
    const dense = denseArray<string>(4);
    const holey = new Array<string>(4);
    for (const i of [3, 1, 0, 2]) dense[i] = holey[i] = `value ${i}`;
    assert.ok(clonedDense(dense));
    assert.ok(!clonedDense(holey), "the helper tells the two apart");
    assert.deepEqual(structuredClone(dense), structuredClone(holey));
  });
});
