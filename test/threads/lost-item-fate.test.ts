import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LostFate, lostItemFate, type ThreadLoss } from "../../src/threads/lost-item-fate.js";
import type { StageBatch } from "../../src/threads/stage-batch.js";

const batch = (retried?: boolean[]) =>
  ({ message: { id: 5 }, items: [1, 2, 3], retried }) as unknown as StageBatch;

const crash = (running?: { id: number; position: number }): ThreadLoss => ({
  reason: "crash",
  exitCode: 3,
  error: undefined,
  running,
});

describe("lostItemFate", () => {
  test("a crash in a sync call: that call is the one suspect, retried first, then failed", () => {
    const cause = crash({ id: 5, position: 1 });
    assert.equal(lostItemFate(batch(), 0, cause, false), LostFate.again);
    assert.equal(lostItemFate(batch(), 1, cause, false), LostFate.retry);
    assert.equal(lostItemFate(batch([false, true, false]), 1, cause, false), LostFate.crashed);
  });

  test("a crash in another batch's call: no item of this one is a suspect", () => {
    const cause = crash({ id: 6, position: 1 });
    for (const i of [0, 1, 2]) {
      assert.equal(lostItemFate(batch([true, true, true]), i, cause, false), LostFate.again);
    }
  });

  test("a crash with nothing saying which call: every item is a suspect", () => {
    const cause = crash(undefined);
    assert.equal(lostItemFate(batch(), 0, cause, false), LostFate.retry);
    assert.equal(lostItemFate(batch([false, true, false]), 1, cause, false), LostFate.crashed);
  });

  test("a timeout fails its own call; the batch's other items go again", () => {
    const cause: ThreadLoss = { reason: "timeout", position: 2, elapsedMs: 40 };
    assert.equal(lostItemFate(batch(), 2, cause, false), LostFate.timedOut);
    assert.equal(lostItemFate(batch(), 0, cause, false), LostFate.again);
    assert.equal(lostItemFate(batch(), 0, { reason: "evicted" }, false), LostFate.again);
  });

  test("with `transfer`, items other than the timed-out call fail: their bytes went", () => {
    const cause: ThreadLoss = { reason: "timeout", position: 2, elapsedMs: 40 };
    assert.equal(lostItemFate(batch(), 2, cause, true), LostFate.timedOut);
    assert.equal(lostItemFate(batch(), 0, cause, true), LostFate.transferred);
    assert.equal(lostItemFate(batch(), 0, crash(undefined), true), LostFate.transferred);
  });
});
