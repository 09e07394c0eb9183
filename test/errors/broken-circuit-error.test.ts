import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BrokenCircuitError, isBrokenCircuitError } from "../../src/errors/broken-circuit-error.js";

describe("BrokenCircuitError", () => {
  test("without a key, says the circuit is open, why, and the whole ms left", () => {
    const cause = new Error("down");
    const error = new BrokenCircuitError(undefined, 1_234.2, {
      reason: "5 consecutive failures",
      cause,
    });
    assert.equal(error.code, "ERR_SLUICE_CIRCUIT_OPEN");
    assert.equal(error.name, "BrokenCircuitError");
    assert.equal(
      error.message,
      "Circuit is open after 5 consecutive failures; failing fast for another 1235 ms",
    );
    assert.equal(error.key, undefined);
    assert.equal(error.retryAfter, 1_234.2);
    assert.equal(error.cause, cause);
  });

  test("with a key, names it (cut short when long)", () => {
    assert.equal(
      new BrokenCircuitError({ host: "a" }, 0).message,
      'Circuit for key `{"host":"a"}` is open; failing fast for another 0 ms',
    );
    assert.match(new BrokenCircuitError("x".repeat(100), 5).message, /key `"x{56}\.\.\.`/);
    assert.equal("cause" in new BrokenCircuitError("k", 5), false);
  });

  test("isBrokenCircuitError and instanceof recognise it by its brand", () => {
    const error = new BrokenCircuitError("k", 5);
    assert.equal(isBrokenCircuitError(error), true);
    assert.ok(error instanceof BrokenCircuitError);
    assert.ok(error instanceof Error);
    assert.equal(isBrokenCircuitError(new Error("x")), false);
    assert.ok(
      { [Symbol.for("sluice.error.code")]: "ERR_SLUICE_CIRCUIT_OPEN" } instanceof
        BrokenCircuitError,
    );
  });
});
