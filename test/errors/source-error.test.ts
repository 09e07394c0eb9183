import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from, isSourceError, SourceError } from "../../src/index.js";
import { secondCopy } from "../helpers/second-copy.js";

const CODE = "ERR_SLUICE_SOURCE_FAILED";

describe("SourceError", () => {
  test("has its code, name, the items pulled in the message and the original error as cause", () => {
    const cause = new Error("socket hang up");
    const error = new SourceError(cause, 42);
    assert.equal(error.code, CODE);
    assert.equal(error.name, "SourceError");
    assert.equal(error.message, "Source failed after 42 item(s): socket hang up");
    assert.equal(error.pulled, 42);
    assert.equal(error.cause, cause);
  });

  test("describes a cause that is not an Error, even one that cannot be turned into a string", () => {
    assert.equal(new SourceError("EOF", 0).message, "Source failed after 0 item(s): EOF");
    assert.equal(new SourceError(undefined, 1).message, "Source failed after 1 item(s): undefined");
    const bare = Object.create(null) as object;
    const error = new SourceError(bare, 2);
    assert.equal(error.message, "Source failed after 2 item(s): object");
    assert.equal(error.cause, bare);
  });

  test("is what a run rejects with when its source throws, with the items pulled before", async () => {
    const cause = new Error("disk");
    await assert.rejects(
      from(function* () {
        yield 1;
        throw cause;
      })
        .run()
        .collect(),
      (error: unknown) => {
        assert.ok(error instanceof SourceError);
        assert.equal(error.pulled, 1);
        assert.equal(error.cause, cause);
        return true;
      },
    );
  });

  test("isSourceError recognises it and nothing else", () => {
    assert.equal(isSourceError(new SourceError(new Error("x"), 0)), true);
    assert.equal(isSourceError(Object.assign(new Error("x"), { code: CODE })), false);
    assert.equal(isSourceError({}), false);
  });

  test("instanceof and the guard work across two copies of the package", async () => {
    const copy =
      await secondCopy<typeof import("../../src/errors/source-error.js")>("source-error");
    assert.notEqual(copy.SourceError, SourceError);
    const foreign = new copy.SourceError(new Error("x"), 1);
    assert.ok(foreign instanceof SourceError);
    assert.ok(isSourceError(foreign));
    assert.ok(new SourceError(new Error("x"), 1) instanceof copy.SourceError);
  });

  test("instanceof accepts any object carrying the brand, and a subclass checks its own prototype", () => {
    assert.ok({ [Symbol.for("sluice.error.code")]: CODE } instanceof SourceError);
    class FeedError extends SourceError {}
    assert.ok(new FeedError("x", 0) instanceof SourceError);
    assert.equal(new SourceError("x", 0) instanceof FeedError, false);
  });
});
