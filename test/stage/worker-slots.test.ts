import assert from "node:assert/strict";
import { test } from "node:test";
import { type WorkerSlot, WorkerSlots } from "../../src/stage/worker-slots.js";

/** Records what the slots report; a settled value's slot is freed, as a stage would. */
function recorder() {
  const events: string[] = [];
  const owner: { slots?: WorkerSlots } = {};
  return {
    events,
    owner,
    handlers: {
      itemSettled: (slot: WorkerSlot, item: unknown, index: number, value: unknown) => {
        events.push(`value ${String(item)}#${index}=${String(value)}`);
        owner.slots?.free(slot);
      },
      itemFailed: (item: unknown, index: number, error: unknown) => {
        events.push(`error ${String(item)}#${index}: ${(error as Error).message}`);
        return undefined;
      },
      slotReleased: () => {
        events.push("released");
      },
    },
  };
}

test("a slot is taken while its item is pending and free again when it settles", async () => {
  const { events, handlers, owner } = recorder();
  const slots = new WorkerSlots(2, new AbortController().signal, "s", handlers);
  owner.slots = slots;
  assert.equal(slots.allFree, true);
  const first = slots.peek();
  slots.await(first, "a", 0, Promise.resolve(1));
  const second = slots.peek();
  assert.notEqual(first, second);
  slots.await(second, "b", 1, Promise.reject(new Error("no")));
  assert.equal(slots.allBusy, true);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, ["value a#0=1", "error b#1: no", "released"]);
  assert.equal(slots.allFree, true);
});

test("each slot has its own ctx naming its worker", () => {
  const slots = new WorkerSlots(3, new AbortController().signal, "stage", recorder().handlers);
  const workers = new Set<number>();
  for (let i = 0; i < 3; i++) {
    const slot = slots.peek();
    assert.equal(slot.ctx.stage, "stage");
    workers.add(slot.ctx.worker);
    slots.holdUntil(slot, new Promise(() => {}));
  }
  assert.deepEqual([...workers].sort(), [0, 1, 2]);
});

test("an async error handler keeps the slot until its promise settles", async () => {
  let finish!: () => void;
  const slots = new WorkerSlots(1, new AbortController().signal, "s", {
    itemSettled: () => {},
    itemFailed: () =>
      new Promise<void>((resolve) => {
        finish = resolve;
      }),
    slotReleased: () => {},
  });
  slots.await(slots.peek(), "x", 0, Promise.reject(new Error("x")));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(slots.allBusy, true);
  finish();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(slots.allFree, true);
});

test("a settled slot can take the next item without being freed", async () => {
  const seen: string[] = [];
  let finishB!: (value: number) => void;
  const b = new Promise<number>((resolve) => {
    finishB = resolve;
  });
  const slots: WorkerSlots = new WorkerSlots(1, new AbortController().signal, "s", {
    itemSettled: (slot, item, index, value) => {
      seen.push(`${String(item)}#${index}=${String(value)}`);
      if (index === 0) slots.reuse(slot, "b", 1, b);
      else slots.free(slot);
    },
    itemFailed: () => undefined,
    slotReleased: () => {},
  });
  const slot = slots.peek();
  slots.await(slot, "a", 0, Promise.resolve(1));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, ["a#0=1"]);
  assert.equal(slots.allBusy, true, "the slot holds item b while it is pending");
  finishB(2);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, ["a#0=1", "b#1=2"]);
  assert.equal(slots.allFree, true);
});

test("foreign thenables are adopted", async () => {
  const { events, handlers } = recorder();
  const slots = new WorkerSlots(1, new AbortController().signal, "s", handlers);
  slots.await(slots.peek(), "t", 0, {
    then: (resolve: (v: number) => void) => resolve(7),
  } as never);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, ["value t#0=7"]);
});
