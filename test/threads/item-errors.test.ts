import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { WorkerCrashedError } from "../../src/errors/worker-crashed-error.js";
import { lostCallError, transferredLost, unsendableError } from "../../src/threads/item-errors.js";

describe("item errors", () => {
  test("an item that cannot be cloned: names the stage, the index and clone's reason", () => {
    const cloneError = new DOMException("() => 1 could not be cloned.", "DataCloneError");
    const error = unsendableError("parse", 4, () => 1, cloneError, false);
    assert.ok(error instanceof TypeError);
    assert.equal(
      error.message,
      'Stage "parse" cannot send item #4 to a thread: () => 1 could not be cloned.',
    );
    assert.equal(error.cause, cloneError);
  });

  test("a Proxy, as the item or held directly by it, is named: clone's own words name none", () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const refusal = (value: unknown): unknown => {
      try {
        structuredClone(value);
      } catch (error) {
        return error;
      }
      throw new Error("cloned");
    };
    assert.equal(
      unsendableError("parse", 1, proxy, refusal(proxy), false).message,
      'Stage "parse" cannot send item #1 to a thread: null could not be cloned (the item is a Proxy, which structured clone cannot copy).',
    );
    const record = { id: 1, body: new Proxy([], {}) };
    assert.equal(
      unsendableError("parse", 3, record, refusal(record), false).message,
      'Stage "parse" cannot send item #3 to a thread: [object Array] could not be cloned (its field "body" is a Proxy, which structured clone cannot copy).',
    );
    const list = [1, new Proxy({}, {})];
    assert.match(
      unsendableError("parse", 5, list, refusal(list), false).message,
      /\(its element 1 is a Proxy, which structured clone cannot copy\)\.$/,
    );
  });

  test("with `transfer`, an item with no bytes left is said to have moved already", () => {
    const moved = new ArrayBuffer(8);
    structuredClone(moved, { transfer: [moved] });
    const error = unsendableError(
      "parse",
      2,
      moved,
      new Error("An ArrayBuffer is detached."),
      true,
    );
    assert.match(
      error.message,
      /cannot send item #2 to a thread: An ArrayBuffer is detached; with `transfer: true` each item's buffer moves to its thread/,
    );
  });

  test("a lost call sent again: what its thread did, and that the item goes again", () => {
    const crash = new Error("boom");
    const error = lostCallError("hash", 3, {
      reason: "crash",
      exitCode: 7,
      error: crash,
      running: undefined,
    });
    assert.equal(
      error.message,
      'Stage "hash": the thread holding item #3 died (exit code 7); the item is sent again',
    );
    assert.equal(error.cause, crash);
    assert.match(
      lostCallError("hash", 3, { reason: "evicted" }).message,
      /was terminated for a call past its timeout; the item is sent again$/,
    );
  });

  test("a transferred item lost with its thread fails as crashed, saying why", () => {
    const crashed = transferredLost(
      "hash",
      5,
      { reason: "crash", exitCode: 9, error: undefined, running: undefined },
      undefined,
    );
    assert.ok(crashed instanceof WorkerCrashedError);
    assert.equal(crashed.exitCode, 9);
    const own = transferredLost("hash", 5, { reason: "timeout", position: 0, elapsedMs: 50 }, 5);
    assert.equal(own.exitCode, 1);
    assert.match(own.message, /item #5 ran past the timeout/);
    const other = transferredLost("hash", 6, { reason: "evicted" }, undefined);
    assert.match(other.message, /another batch's call ran past the timeout/);
  });
});
