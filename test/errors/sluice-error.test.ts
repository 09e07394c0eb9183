import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "../../src/errors/sluice-error.js";

describe("sluice error brand", () => {
  test("is the registered symbol sluice.error.code, shared by every copy of the package", () => {
    assert.equal(kErrorCode, Symbol.for("sluice.error.code"));
  });

  test("hasSluiceCode answers by the brand, not by a code property", () => {
    assert.equal(hasSluiceCode({ [Symbol.for("sluice.error.code")]: "ERR_X" }, "ERR_X"), true);
    assert.equal(hasSluiceCode({ [Symbol.for("sluice.error.code")]: "ERR_X" }, "ERR_Y"), false);
    assert.equal(hasSluiceCode(Object.assign(new Error("x"), { code: "ERR_X" }), "ERR_X"), false);
    for (const value of [null, undefined, "ERR_X", 1]) {
      assert.equal(hasSluiceCode(value, "ERR_X"), false);
    }
  });

  test("a branded instanceof answers by brand for the class that declares it and by prototype for its subclasses", () => {
    class Base extends Error {
      static override [Symbol.hasInstance] = brandedInstanceCheck("ERR_BASE");
    }
    class Derived extends Base {}
    const foreign = { [Symbol.for("sluice.error.code")]: "ERR_BASE" };
    const base = Object.defineProperty(new Base(), kErrorCode, { value: "ERR_BASE" });
    const derived = Object.defineProperty(new Derived(), kErrorCode, { value: "ERR_BASE" });
    assert.equal(foreign instanceof Base, true);
    assert.equal(base instanceof Base, true);
    assert.equal(derived instanceof Base, true);
    assert.equal(derived instanceof Derived, true);
    assert.equal(base instanceof Derived, false);
    assert.equal(foreign instanceof Derived, false);
  });
});
