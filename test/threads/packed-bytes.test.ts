import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import { mayReturnPacking, packBytes, unpackBytes } from "../../src/threads/packed-bytes.js";

const bytes = (values: number[]) => Uint8Array.from(values);

describe("packed bytes", () => {
  test("packs same-class byte items into one buffer and unpacks views of the same bytes", () => {
    const items = [Buffer.from([1, 2]), Buffer.from([]), Buffer.from([3, 4, 5])];
    const packed = packBytes(items, [])!;
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
    const back = unpackBytes(packBytes([bytes([9]), bytes([8, 7])], [])!);
    assert.ok(back.every((b) => !Buffer.isBuffer(b) && b instanceof Uint8Array));
  });

  test("leaves mixed, non-byte and single-item batches to structured clone", () => {
    assert.equal(packBytes([Buffer.from([1]), bytes([2])], []), undefined);
    assert.equal(packBytes([bytes([1]), "x"], []), undefined);
    assert.equal(packBytes([new Uint16Array(2), new Uint16Array(2)], []), undefined);
    assert.equal(packBytes([bytes([1])], []), undefined);
  });

  test("packs into a spare buffer that fits (not over twice the need) and takes it off the list", () => {
    const spare = new ArrayBuffer(16); // 8 bytes of end offsets, 4 of bytes: fits, under twice
    const spares = [spare];
    const packed = packBytes([bytes([1, 2, 3]), bytes([4])], spares)!;
    assert.equal(packed.buffer, spare);
    assert.equal(spares.length, 0);
    const tooSmall = [new ArrayBuffer(4)];
    assert.notEqual(packBytes([bytes([1, 2, 3]), bytes([4])], tooSmall)!.buffer, tooSmall[0]);
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
