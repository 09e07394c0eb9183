import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isTimeoutError, TimeoutError } from "../../src/index.js";

describe("TimeoutError", () => {
  test("from a stage, names the stage and the item, with whole milliseconds", () => {
    const error = new TimeoutError("fetch", 7, 1_000.4, 1_000);
    assert.equal(error.code, "ERR_SLUICE_TIMEOUT");
    assert.equal(error.name, "TimeoutError");
    assert.equal(
      error.message,
      'Stage "fetch" timed out on item #7 after 1000 ms (timeout 1000 ms)',
    );
    assert.equal(error.stage, "fetch");
    assert.equal(error.index, 7);
  });

  test("from a standalone policy, with no stage or item, says the call timed out", () => {
    const error = new TimeoutError(undefined, undefined, 30_000, 30_000);
    assert.equal(error.message, "Call timed out after 30000 ms (timeout 30000 ms)");
    assert.equal(error.stage, undefined);
    assert.equal(error.index, undefined);
    assert.equal(error.elapsedMs, 30_000);
    assert.equal(error.timeoutMs, 30_000);
  });

  test("isTimeoutError recognises it and not a DOMException named TimeoutError", () => {
    assert.equal(isTimeoutError(new TimeoutError(undefined, undefined, 1, 1)), true);
    assert.equal(isTimeoutError(new DOMException("x", "TimeoutError")), false);
  });
});
