import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CancelledError, from, isCancelledError } from "../../src/index.js";
import { secondCopy } from "../helpers/second-copy.js";

const CODE = "ERR_SLUICE_CANCELLED";

describe("CancelledError", () => {
  test("has its code, name, the items pulled and whole milliseconds in the message, the reason as cause", () => {
    const reason = new Error("shutting down");
    const error = new CancelledError(reason, 120, 35.6);
    assert.equal(error.code, CODE);
    assert.equal(error.name, "CancelledError");
    assert.equal(error.message, "Run cancelled after 120 source items and 36 ms: shutting down");
    assert.equal(error.cause, reason);
  });

  test("describes a missing reason, a string reason and one that cannot be turned into a string", () => {
    assert.equal(
      new CancelledError(undefined, 0, 0).message,
      "Run cancelled after 0 source items and 0 ms: no reason given",
    );
    assert.equal(
      new CancelledError("SIGTERM", 1, 2).message,
      "Run cancelled after 1 source items and 2 ms: SIGTERM",
    );
    assert.equal(
      new CancelledError(Object.create(null), 1, 2).message,
      "Run cancelled after 1 source items and 2 ms: object",
    );
  });

  test("is what a run cancelled by its signal rejects with, the signal's reason as cause", async () => {
    const controller = new AbortController();
    const reason = new Error("user pressed ctrl-c");
    controller.abort(reason);
    await assert.rejects(
      from([1, 2, 3]).run({ signal: controller.signal }).collect(),
      (error: unknown) => {
        assert.ok(error instanceof CancelledError);
        assert.equal(error.cause, reason);
        return true;
      },
    );
  });

  test("isCancelledError recognises it and not an AbortError", () => {
    assert.equal(isCancelledError(new CancelledError("x", 0, 0)), true);
    assert.equal(isCancelledError(new DOMException("x", "AbortError")), false);
    assert.equal(isCancelledError(Object.assign(new Error("x"), { code: CODE })), false);
  });

  test("instanceof and the guard work across two copies of the package", async () => {
    const copy =
      await secondCopy<typeof import("../../src/errors/cancelled-error.js")>("cancelled-error");
    assert.notEqual(copy.CancelledError, CancelledError);
    const foreign = new copy.CancelledError("x", 0, 0);
    assert.ok(foreign instanceof CancelledError);
    assert.ok(isCancelledError(foreign));
    assert.ok(new CancelledError("x", 0, 0) instanceof copy.CancelledError);
  });

  test("instanceof accepts any object carrying the brand, and a subclass checks its own prototype", () => {
    assert.ok({ [Symbol.for("sluice.error.code")]: CODE } instanceof CancelledError);
    class Shutdown extends CancelledError {}
    assert.ok(new Shutdown("x", 0, 0) instanceof CancelledError);
    assert.equal(new CancelledError("x", 0, 0) instanceof Shutdown, false);
  });
});
