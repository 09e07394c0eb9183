import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from, InvalidOptionError, isInvalidOptionError } from "../../src/index.js";
import { secondCopy } from "../helpers/second-copy.js";

const CODE = "ERR_SLUICE_INVALID_OPTION";

describe("InvalidOptionError", () => {
  test("is a TypeError with its code, name, message, option path and value", () => {
    const error = new InvalidOptionError("Expected `map.buffer` to be ...", "map.buffer", 0);
    assert.ok(error instanceof TypeError);
    assert.equal(error.code, CODE);
    assert.equal(error.name, "InvalidOptionError");
    assert.equal(error.message, "Expected `map.buffer` to be ...");
    assert.equal(error.option, "map.buffer");
    assert.equal(error.value, 0);
  });

  test("is what a bad option throws when the pipeline is built", () => {
    assert.throws(
      () => from([1]).map((x) => x, { buffer: 0 }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidOptionError);
        assert.equal(error.option, "map.buffer");
        assert.equal(error.value, 0);
        assert.equal(
          error.message,
          "Expected `map.buffer` to be an integer >= 1, got `0` (number)",
        );
        return true;
      },
    );
  });

  test("isInvalidOptionError recognises it and not a plain TypeError", () => {
    assert.equal(isInvalidOptionError(new InvalidOptionError("m", "o", 1)), true);
    assert.equal(isInvalidOptionError(new TypeError("m")), false);
    assert.equal(isInvalidOptionError(Object.assign(new TypeError("m"), { code: CODE })), false);
    assert.equal(isInvalidOptionError(undefined), false);
  });

  test("instanceof and the guard work across two copies of the package", async () => {
    const copy =
      await secondCopy<typeof import("../../src/errors/invalid-option-error.js")>(
        "invalid-option-error",
      );
    assert.notEqual(copy.InvalidOptionError, InvalidOptionError);
    const foreign = new copy.InvalidOptionError("m", "o", 1);
    assert.ok(foreign instanceof InvalidOptionError);
    assert.ok(isInvalidOptionError(foreign));
    assert.ok(new InvalidOptionError("m", "o", 1) instanceof copy.InvalidOptionError);
  });

  test("instanceof accepts any object carrying the brand, and a subclass checks its own prototype", () => {
    assert.ok({ [Symbol.for("sluice.error.code")]: CODE } instanceof InvalidOptionError);
    class MyOptionError extends InvalidOptionError {}
    assert.ok(new MyOptionError("m", "o", 1) instanceof InvalidOptionError);
    assert.equal(new InvalidOptionError("m", "o", 1) instanceof MyOptionError, false);
  });
});
