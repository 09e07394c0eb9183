import assert from "node:assert/strict";
import { test } from "node:test";
import { ReorderRing, Slot } from "../../src/stage/reorder-ring.js";

test("the head is empty until its own index is stored", () => {
  const ring = new ReorderRing(4);
  ring.store(1, Slot.Value, "b");
  assert.equal(ring.headState(), Slot.Empty);
  ring.store(0, Slot.Value, "a");
  assert.equal(ring.headState(), Slot.Value);
  assert.equal(ring.shiftHead(), "a");
  assert.equal(ring.shiftHead(), "b");
  assert.equal(ring.head, 2);
  assert.equal(ring.headState(), Slot.Empty);
});

test("slots are reused modulo the size as the head moves on", () => {
  const ring = new ReorderRing(2);
  for (let index = 0; index < 10; index++) {
    ring.store(index, Slot.Value, index);
    assert.equal(ring.shiftHead(), index);
  }
});

test("countWaiting counts values and gathered arrays but not failures or gaps", () => {
  const ring = new ReorderRing(5);
  ring.store(1, Slot.Value, 1);
  ring.store(2, Slot.Many, [2, 2]);
  ring.store(3, Slot.None, undefined);
  ring.store(4, Slot.Failure, {});
  assert.equal(ring.countWaiting(), 2);
});
