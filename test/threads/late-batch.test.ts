import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PoolThread } from "../../src/threads/pool-thread.js";
import { lateBatch } from "../../src/threads/late-batch.js";
import type { StageBatch } from "../../src/threads/stage-batch.js";

function batch(sentAt: number, items: number, over: Partial<StageBatch> = {}): StageBatch {
  return {
    sentAt,
    items: Array.from({ length: items }),
    message: { id: 1 },
    thread: { waitsBehind: () => false } as unknown as PoolThread,
    stealTried: false,
    stolen: false,
    ...over,
  } as StageBatch;
}

describe("lateBatch", () => {
  test("late: twice what its items should take, and a millisecond more", () => {
    // 10 items of 1 ms: late from 21 ms after it was sent.
    const b = batch(100, 10);
    assert.equal(lateBatch([b], 1, 120).victim, undefined);
    assert.equal(lateBatch([b], 1, 120).lateInMs, 1);
    assert.equal(lateBatch([b], 1, 121).victim, b);
  });

  test("of the late ones, the batch sent first", () => {
    const older = batch(0, 4);
    const newer = batch(5, 4);
    assert.equal(lateBatch([newer, older], 1, 100).victim, older);
  });

  test("skips a batch tried already, one not sent yet, and a batch of one item", () => {
    const batches = [
      batch(0, 4, { stealTried: true }),
      batch(0, 4, { thread: undefined }),
      batch(0, 1),
    ];
    assert.deepEqual(lateBatch(batches, 1, 1000), {
      victim: undefined,
      lateInMs: Number.POSITIVE_INFINITY,
    });
  });

  test("none late: when the first will be", () => {
    const result = lateBatch([batch(0, 10), batch(0, 4)], 1, 2);
    assert.equal(result.victim, undefined);
    assert.equal(result.lateInMs, 7);
  });

  test("a batch of stolen items: only while it waits behind another message on its thread", () => {
    const behind = { waitsBehind: (id: number) => id === 7 } as unknown as PoolThread;
    const first = batch(0, 4, { stolen: true, thread: behind, message: { id: 8 } } as never);
    assert.equal(lateBatch([first], 1, 1000).victim, undefined, "first in line: being read");
    const queued = batch(0, 4, { stolen: true, thread: behind, message: { id: 7 } } as never);
    assert.equal(lateBatch([first, queued], 1, 1000).victim, queued);
  });
});
