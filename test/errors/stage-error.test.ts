import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from, isStageError, StageError } from "../../src/index.js";
import { secondCopy } from "../helpers/second-copy.js";

const CODE = "ERR_SLUICE_STAGE_FAILED";

describe("StageError", () => {
  test("has its code, name, the stage and item index in the message, the item and the cause", () => {
    const cause = new Error("HTTP 503");
    const item = { id: 7 };
    const error = new StageError("fetch", item, 12, cause);
    assert.equal(error.code, CODE);
    assert.equal(error.name, "StageError");
    assert.equal(error.message, 'Stage "fetch" failed on item #12 `{"id":7}`: HTTP 503');
    assert.equal(error.stage, "fetch");
    assert.equal(error.item, item);
    assert.equal(error.index, 12);
    assert.equal(error.cause, cause);
  });

  test("previews a large item in at most 60 characters", () => {
    const error = new StageError("s", "x".repeat(10_000), 0, new Error("too long"));
    assert.equal(error.message, `Stage "s" failed on item #0 \`"${"x".repeat(56)}...\`: too long`);
    assert.equal((error.item as string).length, 10_000, "the item itself is kept whole");
  });

  test("describes a cause that is not an Error, even one that cannot be turned into a string", () => {
    assert.equal(
      new StageError("s", 1, 0, "nope").message,
      'Stage "s" failed on item #0 `1`: nope',
    );
    assert.equal(
      new StageError("s", 1, 3, Object.create(null)).message,
      'Stage "s" failed on item #3 `1`: object',
    );
  });

  test("is what a run rejects with when a fail-fast stage throws", async () => {
    const cause = new Error("bad row");
    await assert.rejects(
      from([10, 20, 30])
        .map(
          (x) => {
            if (x === 20) throw cause;
            return x;
          },
          { name: "parse" },
        )
        .run()
        .collect(),
      (error: unknown) => {
        assert.ok(error instanceof StageError);
        assert.equal(error.stage, "parse");
        assert.equal(error.item, 20);
        assert.equal(error.index, 1);
        assert.equal(error.cause, cause);
        assert.equal(error.message, 'Stage "parse" failed on item #1 `20`: bad row');
        return true;
      },
    );
  });

  test("isStageError recognises it and nothing else", () => {
    assert.equal(isStageError(new StageError("s", 1, 0, new Error("x"))), true);
    assert.equal(isStageError(Object.assign(new Error("x"), { code: CODE })), false);
    assert.equal(isStageError(0), false);
  });

  test("instanceof and the guard work across two copies of the package", async () => {
    const copy = await secondCopy<typeof import("../../src/errors/stage-error.js")>("stage-error");
    assert.notEqual(copy.StageError, StageError);
    const foreign = new copy.StageError("s", 1, 0, new Error("x"));
    assert.ok(foreign instanceof StageError);
    assert.ok(isStageError(foreign));
    assert.ok(new StageError("s", 1, 0, new Error("x")) instanceof copy.StageError);
  });

  test("instanceof accepts any object carrying the brand, and a subclass checks its own prototype", () => {
    assert.ok({ [Symbol.for("sluice.error.code")]: CODE } instanceof StageError);
    class ParseError extends StageError {}
    assert.ok(new ParseError("s", 1, 0, "x") instanceof StageError);
    assert.equal(new StageError("s", 1, 0, "x") instanceof ParseError, false);
  });
});
