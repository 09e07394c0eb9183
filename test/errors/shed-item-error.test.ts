import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isShedItemError, ShedItemError } from "../../src/index.js";
import { secondCopy } from "../helpers/second-copy.js";

const CODE = "ERR_SLUICE_SHED";

describe("ShedItemError", () => {
  test("has its code, name and stage, and says the item was never processed", () => {
    const error = new ShedItemError("fetch");
    assert.equal(error.code, CODE);
    assert.equal(error.name, "ShedItemError");
    assert.equal(error.stage, "fetch");
    assert.equal(
      error.message,
      'Stage "fetch" shed the item under load: its input was full, and it was never processed',
    );
  });

  test("is recognised across two copies of the package, by instanceof and by its guard", async () => {
    const copy =
      await secondCopy<typeof import("../../src/errors/shed-item-error.js")>("shed-item-error");
    assert.notEqual(copy.ShedItemError, ShedItemError);
    const error = new copy.ShedItemError("s");
    assert.ok(error instanceof ShedItemError);
    assert.ok(isShedItemError(error));
    assert.ok(copy.isShedItemError(new ShedItemError("s")));
    assert.equal(isShedItemError(new Error("shed")), false);
    assert.equal(isShedItemError({ code: CODE }), false);
  });

  test("a subclass answers instanceof by its own prototype chain", () => {
    class MyShed extends ShedItemError {}
    assert.ok(new MyShed("s") instanceof ShedItemError);
    assert.equal(new ShedItemError("s") instanceof MyShed, false);
  });
});
