import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { transfer } from "../../src/threads/index.js";
import { collectTransfers, transferListOf } from "../../src/threads/transfer.js";

describe("transfer", () => {
  test("marks a buffer, or the whole buffer under a view, and returns the value itself", () => {
    const bytes = new Uint8Array(16);
    assert.equal(transfer(bytes), bytes);
    assert.deepEqual(transferListOf(bytes, false), [bytes.buffer]);
    const raw = new ArrayBuffer(8);
    assert.deepEqual(transferListOf(transfer(raw), false), [raw]);
  });

  test("refuses a view over part of a buffer unless told what to move", () => {
    const part = new Uint8Array(new ArrayBuffer(32), 8, 8);
    assert.throws(() => transfer(part), /spans its whole buffer/);
    assert.deepEqual(transferListOf(transfer(part, [part.buffer]), false), [part.buffer]);
  });

  test("moves unmarked whole buffers only when asked to (the stage's transfer option)", () => {
    const bytes = new Uint8Array(4);
    assert.equal(transferListOf(bytes, false), undefined);
    assert.deepEqual(transferListOf(bytes, true), [bytes.buffer]);
    assert.equal(
      transferListOf(Buffer.from("pooled"), true),
      undefined,
      "a pooled Buffer is copied",
    );
    assert.equal(transferListOf(42, true), undefined);
  });

  test("lists each buffer once, however many items share it", () => {
    const buffer = new ArrayBuffer(8);
    const a = new Uint8Array(buffer);
    const b = new Uint8Array(buffer);
    assert.deepEqual(collectTransfers([a, b, 1], true), [buffer]);
    assert.equal(collectTransfers([1, "x"], true), undefined);
  });
});
