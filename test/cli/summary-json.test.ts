import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { summaryToJson } from "../../src/cli/summary-json.js";
import { StageError } from "../../src/index.js";
import { runSummary } from "./fixtures.js";

describe("summaryToJson", () => {
  test("keeps every RunSummary field as it is", () => {
    const summary = runSummary();
    assert.deepEqual(JSON.parse(summaryToJson(summary)), summary);
  });

  test("turns the error into name, message, code and cause", () => {
    const error = new StageError("enrich", { id: 3 }, 2, new RangeError("too big"));
    const parsed = JSON.parse(summaryToJson(runSummary({ outcome: "failed", error })));
    assert.deepEqual(parsed.error, {
      name: "StageError",
      message: 'Stage "enrich" failed on item #2 `{"id":3}`: too big',
      code: "ERR_SLUICE_STAGE_FAILED",
      cause: { name: "RangeError", message: "too big" },
    });
  });

  test("describes a reason that is not an error", () => {
    const parsed = JSON.parse(
      summaryToJson(runSummary({ outcome: "cancelled", error: Object.create(null) })),
    );
    assert.deepEqual(parsed.error, { name: "object", message: "[object Object]" });
  });

  test("stops following a cyclic cause", () => {
    const error = new Error("loop");
    error.cause = error;
    const json = summaryToJson(runSummary({ outcome: "failed", error }));
    assert.equal(JSON.parse(json).error.cause.cause.cause.cause, undefined);
  });
});
