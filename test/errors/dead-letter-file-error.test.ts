import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DeadLetterFileError, isDeadLetterFileError } from "../../src/dead-letter/index.js";
import { secondCopy } from "../helpers/second-copy.js";

describe("DeadLetterFileError", () => {
  test("has its code, name, path, line and the file system's error as cause", () => {
    const cause = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    const error = new DeadLetterFileError(
      "Cannot open the dead-letter file /x/d.ndjson",
      "/x/d.ndjson",
      undefined,
      cause,
    );
    assert.equal(error.code, "ERR_SLUICE_DEAD_LETTER_FILE");
    assert.equal(error.name, "DeadLetterFileError");
    assert.equal(
      error.message,
      "Cannot open the dead-letter file /x/d.ndjson: EACCES: permission denied",
    );
    assert.equal(error.path, "/x/d.ndjson");
    assert.equal(error.line, undefined);
    assert.equal(error.cause, cause);
    const malformed = new DeadLetterFileError(
      "Malformed dead-letter line /x/d.ndjson:3: not JSON",
      "/x/d.ndjson",
      3,
    );
    assert.equal(malformed.line, 3);
    assert.equal(malformed.message, "Malformed dead-letter line /x/d.ndjson:3: not JSON");
    assert.equal("cause" in malformed, false);
  });

  test("is recognised across two copies of the package", async () => {
    const copy =
      await secondCopy<typeof import("../../src/errors/dead-letter-file-error.js")>(
        "dead-letter-file-error",
      );
    const foreign = new copy.DeadLetterFileError("m", "/p");
    assert.notEqual(copy.DeadLetterFileError, DeadLetterFileError);
    assert.ok(isDeadLetterFileError(foreign));
    assert.ok(foreign instanceof DeadLetterFileError);
    assert.ok(!isDeadLetterFileError(new Error("m")));
    assert.ok(!(new Error("m") instanceof DeadLetterFileError));
  });
});
