import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isTuneTrialError, TuneTrialError } from "../../src/index.js";

describe("TuneTrialError", () => {
  test("names the stage and the width, and keeps the run's error as cause", () => {
    const cause = new Error("connection refused");
    const error = new TuneTrialError("fetch", 8, cause);
    assert.equal(error.name, "TuneTrialError");
    assert.equal(error.code, "ERR_SLUICE_TUNE_TRIAL_FAILED");
    assert.equal(
      error.message,
      'Tuning stage "fetch": the trial at concurrency 8 failed: connection refused',
    );
    assert.equal(error.stage, "fetch");
    assert.equal(error.concurrency, 8);
    assert.equal(error.cause, cause);
  });

  test("a problem without an error has no cause", () => {
    const error = new TuneTrialError("fetch", 1, undefined, "the stage took no item");
    assert.equal(
      error.message,
      'Tuning stage "fetch": the trial at concurrency 1 failed: the stage took no item',
    );
    assert.equal("cause" in error, false);
  });

  test("is recognised across package copies by its brand", () => {
    const error = new TuneTrialError("fetch", 2, new Error("x"));
    assert.ok(isTuneTrialError(error));
    assert.ok(error instanceof TuneTrialError);
    const copy = Object.assign(new Error("x"), {
      [Symbol.for("sluice.error.code")]: "ERR_SLUICE_TUNE_TRIAL_FAILED",
    });
    assert.ok(isTuneTrialError(copy));
    assert.ok(copy instanceof TuneTrialError);
    assert.equal(isTuneTrialError(new Error("x")), false);
  });
});
