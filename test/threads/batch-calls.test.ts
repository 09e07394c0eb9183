import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BatchCalls, type ThreadSide, type WorkerFn } from "../../src/threads/batch-calls.js";
import { batchMessage } from "../helpers/batch-message.js";
import { clonedDense } from "../helpers/cloned-dense.js";

function side(): ThreadSide {
  return {
    slot: 0,
    startedAt: new Float64Array(1),
    current: new Int32Array(2),
    claims: new Int32Array(new SharedArrayBuffer(16)),
    controllers: new Map(),
    cancelled: new Map(),
  };
}

async function run(items: number[], fn: WorkerFn): Promise<BatchCalls> {
  const calls = new BatchCalls(
    batchMessage({ id: 1, module: 1, items }),
    { fn, state: undefined },
    side(),
  );
  calls.runAll();
  await Promise.all(calls.pending ?? []);
  return calls;
}

describe("BatchCalls", () => {
  test("a batch's values are cloned dense: sync calls", async () => {
    const calls = await run([1, 2, 3], (x) => (x as number) * 2);
    assert.deepEqual(calls.values, [2, 4, 6]);
    assert.ok(clonedDense(calls.values!));
  });

  test("a batch's values are cloned dense: async calls settling last first", async () => {
    const calls = await run([30, 20, 10, 0], async (x) => {
      await sleep(x as number);
      return `waited ${String(x)}`;
    });
    assert.deepEqual(calls.values, ["waited 30", "waited 20", "waited 10", "waited 0"]);
    assert.ok(clonedDense(calls.values!));
  });

  test("a failed call leaves its value slot undefined, the array still dense", async () => {
    const calls = await run([1, 2], (x) => {
      if (x === 1) throw new Error("no");
      return x;
    });
    assert.equal(calls.failures?.length, 1);
    assert.deepEqual(calls.values, [undefined, 2]);
    assert.ok(clonedDense(calls.values!));
  });
});
