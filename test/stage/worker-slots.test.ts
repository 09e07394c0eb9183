import assert from "node:assert/strict";
import { test } from "node:test";
import { DispatchGate } from "../../src/stage/dispatch-gate.js";
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
  const slots = new WorkerSlots(new DispatchGate(2), "s", handlers);
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

test("each slot has its own ctx naming its slot (worker is its deprecated alias)", () => {
  const slots = new WorkerSlots(new DispatchGate(3), "stage", recorder().handlers);
  const workers = new Set<number>();
  for (let i = 0; i < 3; i++) {
    const slot = slots.peek();
    assert.equal(slot.ctx.stage, "stage");
    assert.equal(slot.ctx.worker, slot.ctx.slot);
    workers.add(slot.ctx.slot);
    slots.holdUntil(slot, new Promise(() => {}));
  }
  assert.deepEqual([...workers].sort(), [0, 1, 2]);
});

test("an async error handler keeps the slot until its promise settles", async () => {
  let finish!: () => void;
  const slots = new WorkerSlots(new DispatchGate(1), "s", {
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
  const slots: WorkerSlots = new WorkerSlots(new DispatchGate(1), "s", {
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
  const slots = new WorkerSlots(new DispatchGate(1), "s", handlers);
  slots.await(slots.peek(), "t", 0, {
    then: (resolve: (v: number) => void) => resolve(7),
  } as never);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, ["value t#0=7"]);
});

test("slots are made on demand, up to the gate's limit, and the limit is live", () => {
  const gate = new DispatchGate(2);
  const slots = new WorkerSlots(gate, "s", recorder().handlers);
  const a = slots.peek();
  assert.equal(slots.peek(), a, "peeking again makes no new slot");
  slots.holdUntil(a, new Promise(() => {}));
  slots.holdUntil(slots.peek(), new Promise(() => {}));
  assert.equal(slots.allBusy, true);
  gate.setLimit(3);
  assert.equal(gate.max, 3);
  assert.equal(slots.allBusy, false, "a raised limit lets one more item start");
  const third = slots.peek();
  assert.equal(third.ctx.slot, 2);
  gate.setLimit(1);
  assert.equal(slots.allBusy, true, "a lowered limit starts nothing until enough slots free up");
  assert.equal(gate.max, 3, "max remembers the largest limit ever set");
});

test("setLimit wakes the stage", () => {
  const gate = new DispatchGate(1);
  let woken = 0;
  gate.onChange(() => woken++);
  gate.setLimit(0);
  gate.setLimit(4);
  assert.equal(woken, 2);
});

test("ctx.signal is made on first read, is the call's own, and abortAll aborts it", () => {
  const gate = new DispatchGate(2);
  const slots = new WorkerSlots(gate, "s", recorder().handlers);
  const slot = slots.peek();
  assert.equal(slot.ctx.controller, undefined, "nothing is made before the signal is read");
  const signal = slot.ctx.signal;
  assert.equal(slot.ctx.signal, signal, "one signal per call");
  assert.equal(signal.aborted, false);
  const reason = new Error("stop");
  slots.abortAll(reason);
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, reason);
});

test("a signal read after the stage stopped is already aborted with the stop reason", () => {
  const gate = new DispatchGate(1);
  const slots = new WorkerSlots(gate, "s", recorder().handlers);
  const reason = new Error("late");
  gate.stop(reason);
  const signal = slots.peek().ctx.signal;
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, reason);
});

test("a later call reuses a released signal only when nothing listens on it", () => {
  const slots = new WorkerSlots(new DispatchGate(1), "s", recorder().handlers);
  const ctx = slots.peek().ctx;
  ctx.index = 0;
  const first = ctx.signal;
  assert.equal(ctx.signal, first, "one signal per call");
  const onAbort = (): void => {};
  first.addEventListener("abort", onAbort);
  first.removeEventListener("abort", onAbort);
  ctx.index = 1; // the next call
  const second = ctx.signal;
  assert.equal(second, first, "a clean released signal is reused: no new AbortController");
  second.addEventListener("abort", () => {}); // left behind by call 1
  ctx.index = 2;
  const third = ctx.signal;
  assert.notEqual(third, second, "a signal with a listener left on it is never handed on");
  slots.abortAll(new Error("x"));
  assert.equal(second.aborted, false, "a retired signal is not aborted with the stage");
  assert.equal(third.aborted, true);
  ctx.index = 3;
  assert.notEqual(ctx.signal, third, "an aborted signal is never handed on");
});
