import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import {
  PackingSpares,
  mayReturnPacking,
  packBytes,
  unpackBytes,
} from "../../src/threads/packed-bytes.js";

const bytes = (values: number[]) => Uint8Array.from(values);

describe("packed bytes", () => {
  test("packs same-class byte items into one buffer and unpacks views of the same bytes", () => {
    const items = [Buffer.from([1, 2]), Buffer.from([]), Buffer.from([3, 4, 5])];
    const packed = packBytes(items, new PackingSpares(4))!;
    assert.equal(packed.count, 3);
    assert.equal(packed.buffers, true);
    const back = unpackBytes(structuredClone(packed));
    assert.deepEqual(
      back.map((b) => [...b]),
      [[1, 2], [], [3, 4, 5]],
    );
    assert.ok(back.every((b) => Buffer.isBuffer(b)));
    assert.deepEqual([...items[0]!], [1, 2], "the items are copied, not moved");
  });

  test("keeps plain Uint8Arrays plain", () => {
    const back = unpackBytes(packBytes([bytes([9]), bytes([8, 7])], new PackingSpares(4))!);
    assert.ok(back.every((b) => !Buffer.isBuffer(b) && b instanceof Uint8Array));
  });

  test("leaves mixed, non-byte and single-item batches to structured clone", () => {
    assert.equal(packBytes([Buffer.from([1]), bytes([2])], new PackingSpares(4)), undefined);
    assert.equal(packBytes([bytes([1]), "x"], new PackingSpares(4)), undefined);
    assert.equal(
      packBytes([new Uint16Array(2), new Uint16Array(2)], new PackingSpares(4)),
      undefined,
    );
    assert.equal(packBytes([bytes([1])], new PackingSpares(4)), undefined);
  });

  test("packs into the last spare given back, dropping spares too small on the way", () => {
    const spares = new PackingSpares(4);
    const older = new ArrayBuffer(4096);
    const fits = new ArrayBuffer(16); // 8 bytes of end offsets, 4 of bytes
    spares.give(older);
    spares.give(fits);
    spares.give(new ArrayBuffer(4)); // too small: dropped when passed over
    const packed = packBytes([bytes([1, 2, 3]), bytes([4])], spares)!;
    assert.equal(packed.buffer, fits);
    assert.equal(spares.size, 1);
    assert.equal(packBytes([bytes([1, 2, 3]), bytes([4])], spares)!.buffer, older);
    assert.equal(spares.size, 0);
  });

  test("sizes new buffers to the largest packing so far, so later batches reuse them all", () => {
    const spares = new PackingSpares(4);
    const large = spares.take(10_000);
    assert.equal(large.byteLength, 12_288, "whole pages");
    const small = spares.take(100);
    assert.equal(small.byteLength, 12_288, "as large as the largest so far");
    spares.give(small);
    assert.equal(spares.take(12_000), small);
  });

  test("keeps at most its limit: a buffer given back past it is let go", () => {
    const spares = new PackingSpares(2);
    const a = new ArrayBuffer(100);
    const b = new ArrayBuffer(50);
    const c = new ArrayBuffer(200);
    spares.give(a);
    spares.give(b);
    spares.give(c);
    assert.equal(spares.size, 2);
    assert.equal(spares.take(60), a, "b, too small, was dropped on the way");
    assert.equal(spares.size, 0);
    const made = spares.take(60);
    assert.ok(made !== c && made.byteLength >= 60, "c was never kept: a new buffer");
  });

  test("a thread hands its packing back only when no result can share its memory", () => {
    assert.equal(mayReturnPacking(["a", 1, null, undefined], undefined), true);
    assert.equal(mayReturnPacking(undefined, undefined), true);
    assert.equal(mayReturnPacking([{ view: 1 }], undefined), false);
    assert.equal(mayReturnPacking(["a"], [[0, "boom"]]), false);
  });

  test("thread stages see Buffer items as Buffers with their own bytes, batch after batch", async () => {
    const items = Array.from({ length: 300 }, (_, i) => Buffer.alloc(1 + (i % 7), i % 251));
    const out = await from(items)
      .map(thread(new URL("./fixtures/describe-bytes.worker.js", import.meta.url), { batch: 16 }), {
        ordered: true,
      })
      .run()
      .collect();
    assert.deepEqual(
      out,
      items.map((b) => `Buffer:${b.byteLength}:${b.byteLength * (b[0] ?? 0)}`),
    );
  });
});
