import assert from "node:assert/strict";
import { test } from "node:test";
import { ChaosError, isChaosError } from "../../src/testing/chaos-error.js";

test("ChaosError carries its code, call and seed, and is recognised by brand", () => {
  const error = new ChaosError(17, 3);
  assert.equal(error.name, "ChaosError");
  assert.equal(error.code, "ERR_SLUICE_CHAOS");
  assert.equal(error.message, "Chaos: call #17 failed on purpose (seed 3)");
  assert.ok(isChaosError(error));
  assert.ok(error instanceof Error);
  assert.ok(!isChaosError(new Error("Chaos")));
  assert.ok(!isChaosError(undefined));
});

test("instanceof holds for a ChaosError from another copy of the package", () => {
  // Another copy has its own class but the same Symbol.for brand.
  const foreign = Object.create(Error.prototype) as object;
  Object.defineProperty(foreign, Symbol.for("sluice.error.code"), { value: "ERR_SLUICE_CHAOS" });
  assert.ok(foreign instanceof ChaosError);
  assert.ok(isChaosError(foreign));
});
