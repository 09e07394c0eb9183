import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { errorToRecord, recordToError } from "../../src/threads/thread-error.js";

const across = (error: unknown) => recordToError(structuredClone(errorToRecord(error)));

describe("errors across the thread boundary", () => {
  test("keep their name, message, stack and own properties", () => {
    const original = Object.assign(new RangeError("too big"), { code: "E_BIG", status: 413 });
    const error = across(original) as Error & { code: string; status: number };
    assert.equal(error.name, "RangeError");
    assert.equal(error.message, "too big");
    assert.equal(error.stack, original.stack);
    assert.equal(error.code, "E_BIG");
    assert.equal(error.status, 413);
  });

  test("keep their cause, and drop properties that cannot be cloned", () => {
    const original = Object.assign(new Error("outer", { cause: new TypeError("inner") }), {
      callback: () => 1,
    });
    const error = across(original) as Error & { callback?: unknown };
    assert.equal((error.cause as Error).message, "inner");
    assert.equal((error.cause as Error).name, "TypeError");
    assert.equal(error.callback, undefined);
  });

  test("a thrown non-error crosses as itself, or as its text when it cannot be cloned", () => {
    assert.deepEqual(across({ reason: "no" }), { reason: "no" });
    assert.equal(across(42), 42);
    assert.match(String(across(() => 1)), /=>/);
  });
});
