import assert from "node:assert/strict";
import { test } from "node:test";
import { OrderedCollector, Slot } from "../../src/stage/ordered-collector.js";

function collector(size: number): { ring: OrderedCollector; delivered: [number, unknown][] } {
  const delivered: [number, unknown][] = [];
  const ring = new OrderedCollector(size, (state, value) => delivered.push([state, value]));
  return { ring, delivered };
}

test("the head is empty until its own index is stored", () => {
  const { ring } = collector(4);
  ring.store(1, Slot.Value, "b");
  assert.equal(ring.headState(), Slot.Empty);
  ring.store(0, Slot.Value, "a");
  assert.equal(ring.headState(), Slot.Value);
  assert.equal(ring.shiftHead(), "a");
  assert.equal(ring.shiftHead(), "b");
  assert.equal(ring.head, 2);
  assert.equal(ring.headState(), Slot.Empty);
});

test("settle delivers the head and everything waiting behind it, in order", () => {
  const { ring, delivered } = collector(4);
  ring.settle(2, Slot.Value, "c");
  ring.settle(1, Slot.None, undefined);
  assert.deepEqual(delivered, []);
  ring.settle(0, Slot.Value, "a");
  assert.deepEqual(delivered, [
    [Slot.Value, "a"],
    [Slot.None, undefined],
    [Slot.Value, "c"],
  ]);
  assert.equal(ring.head, 3);
});

test("slots are reused modulo the size as the head moves on", () => {
  const { ring, delivered } = collector(2);
  for (let index = 0; index < 10; index++) ring.settle(index, Slot.Value, index);
  assert.deepEqual(
    delivered.map(([, value]) => value),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
});

test("countWaiting counts values but not failures or gaps", () => {
  const { ring } = collector(5);
  ring.store(1, Slot.Value, 1);
  ring.store(3, Slot.None, undefined);
  ring.store(4, Slot.Failure, {});
  assert.equal(ring.countWaiting(), 1);
});
