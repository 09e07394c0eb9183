import assert from "node:assert/strict";
import { InvalidOptionError, isInvalidOptionError } from "../../src/index.js";

/** Asserts `block` throws, at once, an InvalidOptionError with exactly this message and path. */
export function assertInvalid(block: () => unknown, message: string, option: string): void {
  assert.throws(block, (error: unknown) => {
    assert.ok(error instanceof TypeError, "a TypeError");
    assert.ok(isInvalidOptionError(error));
    assert.ok(error instanceof InvalidOptionError);
    assert.equal(error.code, "ERR_SLUICE_INVALID_OPTION");
    assert.equal(error.message, message);
    assert.equal(error.option, option);
    return true;
  });
}
