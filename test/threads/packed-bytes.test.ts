import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import {
  PackedKind,
  PackingSpares,
  mayReturnPacking,
  packBytes,
  packingToReturn,
  sharedBufferItems,
  unpackBytes,
} from "../../src/threads/packed-bytes.js";

const bytes = (values: number[]) => Uint8Array.from(values);

describe("packed bytes", () => {
  test("packs same-class byte items into one buffer and unpacks views of the same bytes", () => {
    const items = [Buffer.from([1, 2]), Buffer.from([]), Buffer.from([3, 4, 5])];
    const packed = packBytes(items, new PackingSpares(4))!;
    assert.equal(packed.count, 3);
    assert.equal(packed.kind, PackedKind.buffers);
    const back = unpackBytes(structuredClone(packed));
    assert.deepEqual(
      back.map((b) => [...b]),
      [[1, 2], [], [3, 4, 5]],
    );
    assert.ok(back.every((b) => Buffer.isBuffer(b)));
    assert.deepEqual([...items[0]!], [1, 2], "the items are copied, not moved");
  });

  test("starts the items' bytes on a 64-byte line, whatever the count", () => {
    for (const count of [2, 3, 15, 16, 17, 98, 100]) {
      const items = Array.from({ length: count }, (_, i) => bytes([i & 0xff, 7]));
      const packed = packBytes(items, new PackingSpares(4))!;
      const back = unpackBytes(packed) as Uint8Array[];
      assert.equal(back[0]!.byteOffset % 64, 0, `${count} items`);
      assert.ok(back[0]!.byteOffset >= count * 4, "after the end offsets");
      assert.deepEqual([...back[count - 1]!], [(count - 1) & 0xff, 7]);
    }
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
    const fits = new ArrayBuffer(68); // end offsets padded to a 64-byte line, 4 of bytes
    spares.give(older);
    spares.give(fits);
    spares.give(new ArrayBuffer(67)); // too small: dropped when passed over
    const packed = packBytes([bytes([1, 2, 3]), bytes([4])], spares)!;
    assert.equal(packed.buffer, fits);
    assert.equal(spares.size, 1);
    assert.equal(packBytes([bytes([1, 2, 3]), bytes([4])], spares)!.buffer, older);
    assert.equal(spares.size, 0);
  });

  test("sizes new buffers to the largest packing so far, so later batches reuse them all", () => {
    const spares = new PackingSpares(4);
    const large = spares.take(1, 10_000);
    assert.equal(large.byteLength, 12_288, "whole pages");
    const small = spares.take(1, 100);
    assert.equal(small.byteLength, 12_288, "as large as the largest so far");
    spares.give(small);
    assert.equal(spares.take(1, 12_000), small);
  });

  test("makes room in a new buffer for a whole batch of items the size of these", () => {
    const spares = new PackingSpares(4, 1024);
    // The first batches hold 8 items of 1 KiB; the full ones 1,024 (4 KiB of offsets first).
    const first = spares.take(8, 8 * 1024);
    assert.equal(first.byteLength, 4096 + 1024 * 1024);
    spares.give(first);
    assert.equal(spares.take(1024, 1024 * 1024), first, "the full batch reuses it");
  });

  test("reserves at most 8 MiB beyond the batch at hand for large items", () => {
    const spares = new PackingSpares(4, 1024);
    const itemBytes = 8 * 65_536;
    const buffer = spares.take(8, itemBytes);
    // 8 offsets (one 64-byte line), the items, and 8 MiB more, in whole pages.
    assert.equal(buffer.byteLength, Math.ceil((64 + itemBytes + 8 * 1024 * 1024) / 4096) * 4096);
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
    assert.equal(spares.take(1, 20), a, "b, too small, was dropped on the way");
    assert.equal(spares.size, 0);
    const made = spares.take(1, 20);
    assert.ok(made !== c && made.byteLength >= 84, "c was never kept: a new buffer");
  });

  test("packs long Latin-1 strings as one byte per character and reads the same strings back", () => {
    const items = ["a".repeat(2000), "é€".slice(0, 1).repeat(1500) + "ÿ\u0000x", "{}".repeat(600)];
    const packed = packBytes(items, new PackingSpares(4))!;
    assert.equal(packed.kind, PackedKind.latin1);
    assert.equal(new Uint32Array(packed.buffer, 0, 3)[2], 2000 + 1503 + 1200, "a byte a character");
    assert.deepEqual(unpackBytes(structuredClone(packed)), items);
  });

  test("leaves strings to structured clone when short, beyond Latin-1, or mixed with others", () => {
    const spares = new PackingSpares(4);
    const long = "x".repeat(4096);
    assert.equal(packBytes(["short", "strings"], spares), undefined, "under 1 KiB on average");
    assert.equal(packBytes([long, `${long}€`], spares), undefined, "€ is beyond Latin-1");
    assert.equal(packBytes([long, "\ud83d\ude00".repeat(600)], spares), undefined, "an emoji");
    assert.equal(packBytes([long, "\ud800".repeat(600)], spares), undefined, "a lone surrogate");
    assert.equal(packBytes([long, 7], spares), undefined);
    assert.equal(packBytes([long, Buffer.from(long)], spares), undefined);
    assert.equal(packBytes([long], spares), undefined, "one item: nothing to gain");
  });

  test("leaves a batch of more than 1 GiB to structured clone", () => {
    // 17 views of one 64 MiB buffer: 1.06 GiB to pack, and nothing much to clone.
    const view = new Uint8Array(new ArrayBuffer(64 * 1024 * 1024));
    assert.equal(
      packBytes(
        Array.from({ length: 17 }, () => view),
        new PackingSpares(4),
      ),
      undefined,
    );
  });

  test("a thread hands its packing back only when no result can share its memory", () => {
    assert.equal(mayReturnPacking(["a", 1, null, undefined], undefined), true);
    assert.equal(mayReturnPacking(undefined, undefined), true);
    assert.equal(mayReturnPacking([{ view: 1 }], undefined), false);
    assert.equal(mayReturnPacking(["a"], [[0, "boom"]]), false);
    const spares = new PackingSpares(4);
    const bytePacking = packBytes([bytes([1]), bytes([2])], spares)!;
    const long = "x".repeat(2048);
    const stringPacking = packBytes([long, long], spares)!;
    assert.equal(packingToReturn(bytePacking, true), bytePacking.buffer);
    assert.equal(packingToReturn(bytePacking, false), undefined, "a result may view its bytes");
    assert.equal(packingToReturn(stringPacking, false), stringPacking.buffer, "strings are copies");
    assert.equal(packingToReturn(undefined, true), undefined);
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

  test("leaves items in shared memory unpacked: they cross as views of the same memory", () => {
    const sab = new SharedArrayBuffer(64);
    const buffers = [Buffer.from(sab, 0, 8), Buffer.from(sab, 8, 8)];
    assert.equal(packBytes(buffers, new PackingSpares(4)), undefined);
    assert.equal(sharedBufferItems(buffers), true);
    const views = [new Uint8Array(sab, 0, 8), new Uint8Array(sab, 8, 8)];
    assert.equal(packBytes(views, new PackingSpares(4)), undefined);
    assert.equal(sharedBufferItems(views), false, "plain Uint8Arrays stay what clone makes them");
    assert.equal(sharedBufferItems([buffers[0], views[1]]), false);
    assert.equal(sharedBufferItems([Buffer.alloc(8), buffers[1]]), false, "the first decides");
    assert.equal(sharedBufferItems([]), false);
  });

  test("thread stages see Buffers in shared memory as Buffers over that memory, with no copy", async () => {
    const sab = new SharedArrayBuffer(300 * 8);
    const shared = Array.from({ length: 300 }, (_, i) => Buffer.from(sab, i * 8, 8).fill(i % 251));
    const worker = new URL("./fixtures/shared-bytes.worker.js", import.meta.url);
    const out = await from(shared)
      .map(thread(worker, { batch: 16 }), { ordered: true })
      .run()
      .collect();
    assert.deepEqual(
      out,
      shared.map((b) => `Buffer:true:8:${8 * b[0]!}`),
    );
    // A batch mixing shared and private Buffers is cloned: each keeps its class and bytes.
    const mixed = [shared[1]!, Buffer.alloc(8, 2), shared[3]!];
    const mixedOut = await from(mixed)
      .map(thread(worker, { batch: 3 }), { ordered: true })
      .run()
      .collect();
    assert.deepEqual(mixedOut, ["Buffer:true:8:8", "Buffer:false:8:16", "Buffer:true:8:24"]);
  });

  test("thread stages see long strings as the same strings, packed or cloned, batch after batch", async () => {
    const texts = [
      (i: number) => `${'{"k":1}'.repeat(200)}${i}`,
      (i: number) => `café ${"ü".repeat(1100)} ${i}`,
      (i: number) => `€ ${"beyond Latin-1 ".repeat(80)}${i}`,
      (i: number) => `short ${i}`,
    ];
    const items = Array.from({ length: 400 }, (_, i) => texts[Math.floor(i / 50) % 4]!(i));
    const describe = new URL("./fixtures/describe-text.worker.js", import.meta.url);
    const out = await from(items)
      .map(thread(describe, { batch: 16 }), { ordered: true })
      .run()
      .collect();
    const expected = items.map((item) => {
      let sum = 0;
      for (let i = 0; i < item.length; i++) sum += item.charCodeAt(i);
      return { type: "string", length: item.length, sum };
    });
    assert.deepEqual(out, expected);
  });
});
