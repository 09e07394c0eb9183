import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { onInterrupt } from "../../src/cli/interrupt.js";

describe("onInterrupt", () => {
  test("aborts on SIGINT with exit code 130 and stops listening", () => {
    const before = process.listenerCount("SIGINT");
    const beforeTerm = process.listenerCount("SIGTERM");
    const interrupt = onInterrupt();
    assert.equal(process.listenerCount("SIGINT"), before + 1);
    process.emit("SIGINT", "SIGINT");
    assert.equal(interrupt.signal.aborted, true);
    assert.equal((interrupt.signal.reason as Error).message, "interrupted by SIGINT");
    assert.equal(interrupt.received, "SIGINT");
    assert.equal(interrupt.exitCode, 130);
    // A second Ctrl-C must reach Node's default handler (and kill the process).
    assert.equal(process.listenerCount("SIGINT"), before);
    assert.equal(process.listenerCount("SIGTERM"), beforeTerm);
    interrupt.dispose();
  });

  test("aborts on SIGTERM with exit code 143", () => {
    const interrupt = onInterrupt();
    process.emit("SIGTERM", "SIGTERM");
    assert.equal(interrupt.exitCode, 143);
    interrupt.dispose();
  });

  test("dispose() removes the listeners of an uninterrupted run", () => {
    const before = process.listenerCount("SIGINT");
    const interrupt = onInterrupt();
    interrupt.dispose();
    assert.equal(process.listenerCount("SIGINT"), before);
    assert.equal(interrupt.signal.aborted, false);
    assert.equal(interrupt.exitCode, undefined);
  });
});
