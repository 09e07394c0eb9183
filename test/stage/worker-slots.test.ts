import assert from "node:assert/strict";
import { test } from "node:test";
import { WorkerSlots } from "../../src/stage/worker-slots.js";

function recorder() {
  const events: string[] = [];
  return {
    events,
    handlers: {
      value: (item: unknown, index: number, value: unknown) => {
        events.push(`value ${String(item)}#${index}=${String(value)}`);
      },
      error: (item: unknown, index: number, error: unknown) => {
        events.push(`error ${String(item)}#${index}: ${(error as Error).message}`);
        return undefined;
      },
      released: () => {
        events.push("released");
      },
    },
  };
}

test("a slot is taken while its item is pending and free again when it settles", async () => {
  const { events, handlers } = recorder();
  const slots = new WorkerSlots(2, new AbortController().signal, "s", handlers);
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
    value: () => {},
    error: () =>
      new Promise<void>((resolve) => {
        finish = resolve;
      }),
    released: () => {},
  });
  slots.await(slots.peek(), "x", 0, Promise.reject(new Error("x")));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(slots.allBusy, true);
  finish();
  await new Promise((resolve) => setImmediate(resolve));
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
