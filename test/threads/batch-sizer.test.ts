import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BatchSizer,
  MAX_BATCH,
  MAX_BATCH_BYTES,
  itemBytes,
} from "../../src/threads/batch-sizer.js";

describe("BatchSizer", () => {
  test("starts small, before any item's cost is known", () => {
    assert.equal(new BatchSizer(undefined).size, 8);
  });

  test("grows to the largest batch for cheap items (2 µs each)", () => {
    const sizer = new BatchSizer(undefined);
    sizer.observe(8, 0.016);
    assert.equal(sizer.size, MAX_BATCH);
  });

  test("aims at ~4 ms of work per batch: 0.5 ms items go 8 at a time, 10 ms items alone", () => {
    const medium = new BatchSizer(undefined);
    medium.observe(8, 4);
    assert.equal(medium.size, 8);
    const heavy = new BatchSizer(undefined);
    heavy.observe(8, 80);
    assert.equal(heavy.size, 1);
  });

  test("believes cheaper items at once, dearer ones once the last 4 batches all say so", () => {
    const sizer = new BatchSizer(undefined);
    sizer.observe(100, 100); // 1 ms per item: 4
    assert.equal(sizer.size, 4);
    sizer.observe(100, 10); // 0.1 ms per item, believed at once: 40
    assert.equal(sizer.size, 40);
    // Late batches (a thread descheduled, a collection): the cheapest of the last 4 holds.
    for (let i = 0; i < 3; i++) {
      sizer.observe(40, 40);
      assert.equal(sizer.size, 40);
    }
    // The fourth dear batch in a row: the 0.1 ms batch has left the window.
    sizer.observe(40, 40);
    assert.equal(sizer.size, 4);
  });

  test("a late batch among cheap ones leaves the size at its largest", () => {
    const sizer = new BatchSizer(undefined);
    for (let i = 0; i < 10; i++) sizer.observe(1024, 1.3);
    assert.equal(sizer.size, MAX_BATCH);
    sizer.observe(1024, 25); // 20 times as long: descheduled
    assert.equal(sizer.size, MAX_BATCH);
    assert.equal(sizer.msPerItem, 1.3 / 1024);
  });

  test("claims one position at a time until an item's cost is known, then ~50 µs of work, at most 64", () => {
    const sizer = new BatchSizer(undefined);
    assert.equal(sizer.claimStep, 1);
    sizer.observe(100, 0.2); // 2 µs per item: 25 at a time
    assert.equal(sizer.claimStep, 25);
    sizer.observe(1000, 0.1); // 0.1 µs per item: capped
    assert.equal(sizer.claimStep, 64);
    const heavy = new BatchSizer(undefined);
    heavy.observe(8, 8); // 1 ms per item: one at a time
    assert.equal(heavy.claimStep, 1);
    const fixed = new BatchSizer(256);
    fixed.observe(256, 0.1);
    assert.equal(fixed.claimStep, 1, "a fixed batch measures nothing: one at a time");
  });

  test("a fixed batch never changes", () => {
    const sizer = new BatchSizer(64);
    sizer.observe(64, 1000);
    assert.equal(sizer.size, 64);
  });
});

describe("BatchSizer and big items", () => {
  test("holds a batch's bytes to MAX_BATCH_BYTES: 64 MiB items go one at a time", () => {
    const sizer = new BatchSizer(undefined);
    sizer.observeBytes(1, 64 * 1024 * 1024);
    assert.equal(sizer.size, 1);
    sizer.observe(1, 0.01); // cheap as they are, they still go alone
    assert.equal(sizer.size, 1);
  });

  test("leaves small items to the time target: 1 KiB items still go 1,024 at a time", () => {
    const sizer = new BatchSizer(undefined);
    sizer.observeBytes(8, 8 * 1024);
    sizer.observe(8, 0.016);
    assert.equal(sizer.size, MAX_BATCH);
    const medium = new BatchSizer(undefined);
    medium.observeBytes(8, 8 * 1024 * 1024); // 1 MiB items: 4 to a batch at most
    medium.observe(8, 0.08);
    assert.equal(medium.size, MAX_BATCH_BYTES / (1024 * 1024));
  });

  test("a fixed batch is the user's: bytes do not change it", () => {
    const sizer = new BatchSizer(5);
    sizer.observeBytes(5, 5 * 64 * 1024 * 1024);
    assert.equal(sizer.size, 5);
    assert.equal(sizer.fixed, true);
  });
});

describe("itemBytes", () => {
  test("weighs byte items by their bytes and strings by their characters; other values not", () => {
    assert.equal(itemBytes(Buffer.alloc(10)), 10);
    assert.equal(itemBytes(new Uint8Array(7)), 7);
    assert.equal(itemBytes(new Float64Array(3)), 24);
    assert.equal(itemBytes(new ArrayBuffer(5)), 5);
    assert.equal(itemBytes("abcd"), 4);
    assert.equal(itemBytes(42), 0);
    assert.equal(itemBytes(null), 0);
  });

  test("weighs what a record or an array holds directly: its bytes and strings, a level deep", () => {
    assert.equal(itemBytes({ id: 7, body: Buffer.alloc(100), name: "abc" }), 103);
    assert.equal(itemBytes([Buffer.alloc(10), "ab", 3, new ArrayBuffer(4)]), 16);
    assert.equal(itemBytes({ nested: { body: Buffer.alloc(100) } }), 0, "deeper: not weighed");
    assert.equal(itemBytes({ id: 1, at: 2 }), 0);
    assert.equal(itemBytes(new Map([["k", Buffer.alloc(9)]])), 0, "not a record");
  });

  test("weighs a value whose getter or proxy throws as nothing, without throwing", () => {
    const getter = Object.defineProperty({ id: 1 }, "body", {
      enumerable: true,
      get() {
        throw new Error("no body");
      },
    });
    assert.equal(itemBytes(getter), 0);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.equal(itemBytes(proxy), 0);
    assert.equal(itemBytes({ body: "abc", inner: proxy }), 0, "the record weighs nothing");
  });
});
