import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { erase, ignoreBrokenPipe, redraw } from "../../src/cli/terminal.js";

describe("redraw", () => {
  test("draws a first frame where the cursor is", () => {
    assert.equal(redraw(0, ["a", "b"]), "\u001b[2Ka\n\u001b[2Kb\n\u001b[0J");
  });

  test("moves up over the previous frame and clears what a shorter frame leaves", () => {
    assert.equal(redraw(3, ["a"]), "\r\u001b[3A\u001b[2Ka\n\u001b[0J");
  });
});

describe("erase", () => {
  test("clears the block and leaves the cursor where it began", () => {
    assert.equal(erase(2), "\r\u001b[2A\u001b[0J");
  });

  test("is empty when nothing was drawn", () => {
    assert.equal(erase(0), "");
  });
});

describe("ignoreBrokenPipe", () => {
  test("swallows EPIPE and rethrows anything else", () => {
    const error = (code: string) => Object.assign(new Error(code), { code });
    assert.doesNotThrow(() => ignoreBrokenPipe(error("EPIPE")));
    assert.throws(() => ignoreBrokenPipe(error("EIO")), { message: "EIO" });
  });
});
