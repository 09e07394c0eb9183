import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Tracked, type Lineage } from "../../src/ledger/lineage.js";
import { BatchMaker, type BatchMakerOptions } from "../../src/threads/batch-maker.js";
import { unpackBytes } from "../../src/threads/packed-bytes.js";
import type { BatchOwner } from "../../src/threads/pool-thread.js";
import { ThreadKind } from "../../src/threads/protocol.js";
import { threadOptions } from "../../src/threads/thread-options.js";

const owner: BatchOwner = {
  batchDone() {},
  batchLost() {},
  batchUnreadable() {},
  initFailed() {},
};

function maker(options: Partial<BatchMakerOptions> = {}, thread: object = {}): BatchMaker {
  return new BatchMaker({
    owner,
    stage: "hash",
    kind: ThreadKind.map,
    options: threadOptions({ threads: 2, ...thread }),
    tracked: false,
    fullBatch: 16,
    ...options,
  });
}

const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

describe("BatchMaker", () => {
  test("packs byte items into one transferred buffer, the message's items left empty", () => {
    const batches = maker();
    batches.module = 3;
    const items = [bytes(4, 1), bytes(8, 2), bytes(2, 3)];
    const batch = batches.fresh(items, 10, 4, undefined);
    const message = batch.message;
    assert.equal(message.module, 3);
    assert.equal(message.stage, "hash");
    assert.equal(message.first, 10);
    assert.equal(message.claimStep, 4);
    assert.deepEqual(message.items, []);
    assert.ok(message.packed !== undefined);
    assert.deepEqual(batch.transfer, [message.packed.buffer]);
    assert.deepEqual(unpackBytes(message.packed), items);
    assert.equal(batch.items, items, "the batch keeps the items themselves");
    assert.equal(batch.owner, owner);
    assert.equal(message.sample, undefined, "no sample field without metrics");
  });

  test("clones other items, marking where their Buffers are", () => {
    const items = [{ body: bytes(3, 7) }, { body: new Uint8Array(2) }];
    const batch = maker().fresh(items, 0, 1, undefined);
    assert.equal(batch.message.packed, undefined);
    assert.equal(batch.message.items, items);
    assert.deepEqual(batch.message.buffers, [[0, "body"]]);
    assert.deepEqual(batch.transfer, undefined);
  });

  test("a batch of plain values carries no marks and no extra fields", () => {
    const batch = maker().fresh([1, "a", null], 0, 1, undefined);
    assert.deepEqual(Object.keys(batch.message).sort(), [
      "claimStep",
      "first",
      "id",
      "indices",
      "items",
      "kind",
      "module",
      "packed",
      "stage",
      "t",
      "timeout",
    ]);
  });

  test("Buffers over shared memory cross as they are, flagged, not packed", () => {
    const shared = new SharedArrayBuffer(8);
    const items = [Buffer.from(shared, 0, 4), Buffer.from(shared, 4, 4)];
    const batch = maker().fresh(items, 0, 1, undefined);
    assert.equal(batch.message.packed, undefined);
    assert.equal(batch.message.sharedBuffers, true);
  });

  test("with `transfer`, byte items are moved, not packed", () => {
    const items = [new Uint8Array(4), new Uint8Array(4)];
    const batch = maker({}, { transfer: true }).fresh(items, 0, 1, undefined);
    assert.equal(batch.message.packed, undefined);
    assert.deepEqual(batch.transfer, [items[0]!.buffer, items[1]!.buffer]);
  });

  test("tracked items: the thread gets their values, the batch keeps the items", () => {
    const lineage = {} as Lineage;
    const items = [new Tracked(1, lineage), new Tracked(2, lineage)];
    const batch = maker({ tracked: true }).fresh(items, 0, 1, undefined);
    assert.deepEqual(batch.message.items, [1, 2]);
    assert.equal(batch.items, items);
  });

  test("items sent again keep their indices, crash marks and attempts", () => {
    const batch = maker().again(
      [
        { item: "a", index: 7, retried: true, attempt: 2 },
        { item: "b", index: 9, retried: false, attempt: 1 },
      ],
      1,
      [1],
    );
    assert.equal(batch.first, 7);
    assert.deepEqual(batch.indices, [7, 9]);
    assert.deepEqual(batch.retried, [true, false]);
    assert.deepEqual(batch.attempts, [2, 1]);
    assert.deepEqual(batch.message.indices, [7, 9]);
    assert.deepEqual(batch.message.sample, [1]);
  });

  test("every batch has an id of its own", () => {
    const batches = maker();
    const ids = new Set(Array.from({ length: 100 }, () => batches.fresh([1], 0, 1, undefined)));
    assert.equal(new Set([...ids].map((b) => b.message.id)).size, 100);
  });

  test("a packing buffer given back, or of a batch never sent, packs the next batch", () => {
    const batches = maker();
    const first = batches.fresh([bytes(4, 1), bytes(4, 2)], 0, 1, undefined);
    const buffer = first.message.packed!.buffer;
    batches.reusePacking(first);
    const second = batches.fresh([bytes(4, 3), bytes(4, 4)], 2, 1, undefined);
    assert.equal(second.message.packed!.buffer, buffer);
    batches.giveBack(buffer);
    const third = batches.fresh([bytes(4, 5), bytes(4, 6)], 4, 1, undefined);
    assert.equal(third.message.packed!.buffer, buffer);
  });
});
