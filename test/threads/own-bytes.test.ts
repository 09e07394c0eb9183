import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import { ownBytes } from "../../src/threads/own-bytes.js";

/** A packing-like buffer of `size` bytes, byte i = i mod 251. */
function packing(size = 4096): ArrayBuffer {
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  return buffer;
}

const bytesOf = (view: ArrayBufferView) => [
  ...new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
];

describe("ownBytes", () => {
  test("gives each view of the packing its exact bytes, all in one new buffer", () => {
    const buffer = packing();
    const a = new Uint8Array(buffer, 100, 4);
    const b = Buffer.from(buffer, 200, 3);
    const values: unknown[] = [a, "text", 7, null, undefined, b];
    assert.equal(ownBytes(values, buffer), true);
    const [ownA, , , , , ownB] = values as [Uint8Array, ...unknown[]];
    assert.notEqual(ownA.buffer, buffer);
    assert.deepEqual(bytesOf(ownA), [100, 101, 102, 103]);
    assert.deepEqual(bytesOf(ownB as Uint8Array), [200, 201, 202]);
    assert.ok(Buffer.isBuffer(ownB), "a Buffer's copy is a Buffer (its place is marked)");
    assert.equal(ownA.buffer, (ownB as Uint8Array).buffer, "one allocation for the batch");
    assert.ok(ownA.buffer.byteLength < 16);
    assert.deepEqual(values.slice(1, 5), ["text", 7, null, undefined]);
  });

  test("looks into arrays, objects, Maps (keys too, order kept) and Sets, and through cycles", () => {
    const buffer = packing();
    const view = new Uint8Array(buffer, 8, 2);
    const key = new Uint8Array(buffer, 16, 2);
    const nested: Record<string, unknown> = { deep: [[view]] };
    nested.self = nested;
    const map = new Map<unknown, unknown>([
      ["first", 1],
      [key, "by key"],
      ["last", view],
    ]);
    const values: unknown[] = [{ nested, map, set: new Set([view, "x"]) }];
    assert.equal(ownBytes(values, buffer), true);
    const out = values[0] as { nested: typeof nested; map: typeof map; set: Set<unknown> };
    const deep = (out.nested.deep as Uint8Array[][])[0]![0]!;
    assert.deepEqual(bytesOf(deep), [8, 9]);
    assert.notEqual(deep.buffer, buffer);
    assert.equal(out.nested.self, out.nested);
    const keys = [...out.map.keys()];
    assert.equal(keys[0], "first");
    assert.deepEqual(bytesOf(keys[1] as Uint8Array), [16, 17]);
    assert.equal(keys[2], "last");
    assert.equal(out.map.get("last"), deep, "the same view, the same copy");
    assert.deepEqual([...out.set], [deep, "x"]);
  });

  test("gives long views a buffer each", () => {
    const buffer = packing(64 * 1024);
    const long = new Uint8Array(buffer, 1000, 5000);
    const short = new Uint8Array(buffer, 10, 3);
    const values: unknown[] = [long, short];
    assert.equal(ownBytes(values, buffer), true);
    const [ownLong, ownShort] = values as [Uint8Array, Uint8Array];
    assert.equal(ownLong.buffer.byteLength, 5000);
    assert.deepEqual(bytesOf(ownLong), bytesOf(long));
    assert.equal(ownShort.buffer.byteLength, 3);
  });

  test("keeps each view's kind, on an offset its elements can use", () => {
    const buffer = packing();
    const odd = new Uint8Array(buffer, 1, 3);
    const floats = new Float64Array(buffer, 64, 2);
    const data = new DataView(buffer, 128, 5);
    const values: unknown[] = [odd, floats, data];
    assert.equal(ownBytes(values, buffer), true);
    const [, ownFloats, ownData] = values as [Uint8Array, Float64Array, DataView];
    assert.ok(ownFloats instanceof Float64Array);
    assert.equal(ownFloats.length, 2);
    assert.deepEqual([...ownFloats], [...floats]);
    assert.equal(ownFloats.byteOffset % 8, 0);
    assert.ok(ownData instanceof DataView);
    assert.deepEqual(bytesOf(ownData), [128, 129, 130, 131, 132]);
  });

  test("leaves the packing itself as a result, and the views beside it, as they are", () => {
    const buffer = packing(64 * 1024);
    const values: unknown[] = [buffer, new Uint8Array(buffer, 0, 4)];
    // The packing's own bytes count: it covers more than half, so nothing is copied.
    assert.equal(ownBytes(values, buffer), false);
    assert.equal(values[0], buffer);
  });

  test("leaves views of half the packing or more as they are: copying them only adds a copy", () => {
    const buffer = packing(1000);
    const whole = new Uint8Array(buffer, 0, 600);
    const values: unknown[] = [whole];
    assert.equal(ownBytes(values, buffer), false);
    assert.equal(values[0], whole);
  });

  test("leaves other buffers' views alone, and says so when a view cannot be replaced", () => {
    const buffer = packing();
    const other = new Uint8Array(8);
    const stuck = Object.freeze({ view: new Uint8Array(buffer, 4, 4) });
    const free = { view: new Uint8Array(buffer, 40, 4) };
    const values: unknown[] = [other, stuck, free];
    assert.equal(ownBytes(values, buffer), false);
    assert.equal(values[0], other);
    assert.equal(stuck.view.buffer, buffer, "a frozen object keeps its view");
    assert.notEqual(free.view.buffer, buffer, "the others still get their own bytes");
  });

  test("says yes at once when no value views the packing", () => {
    const buffer = packing();
    const values: unknown[] = [{ a: [1, 2, { b: "c" }] }, new Map([[1, new Set([2])]])];
    const before = JSON.stringify(values[0]);
    assert.equal(ownBytes(values, buffer), true);
    assert.equal(JSON.stringify(values[0]), before);
  });
});

describe("thread results that view their items", () => {
  test("arrive with their own bytes, not the batch's whole packing, batch after batch", async () => {
    // 64 KiB items in batches of 16: each packing is 1 MiB; a 4-byte result used to carry it.
    const items = Array.from({ length: 96 }, (_, i) => {
      const item = Buffer.alloc(64 * 1024, i);
      item.writeUInt32BE(i, 4);
      return item;
    });
    const out = await from(items)
      .map(thread(new URL("./fixtures/slice-bytes.worker.js", import.meta.url), { batch: 16 }), {
        ordered: true,
      })
      .run()
      .collect();
    assert.equal(out.length, items.length);
    for (let i = 0; i < items.length; i++) {
      const result = out[i];
      if (i % 3 === 0) {
        const head = result as Uint8Array;
        assert.ok(Buffer.isBuffer(head), `item ${i}: a Buffer item's view comes back a Buffer`);
        assert.deepEqual([...head], [i, i, i, i]);
        // Shared with the batch's other short results (16 items, two 4-byte views at most each, 8-aligned).
        assert.ok(head.buffer.byteLength <= 256, `item ${i}: ${head.buffer.byteLength} bytes`);
      } else if (i % 3 === 1) {
        const { head, parts, byName } = result as {
          head: Uint8Array;
          parts: Uint8Array[];
          byName: Map<string, Uint8Array>;
        };
        assert.deepEqual([...head], [i, i, i, i]);
        assert.ok(Buffer.isBuffer(head) && Buffer.isBuffer(parts[1]));
        assert.ok(Buffer.isBuffer(byName.get("head")));
        assert.equal(parts[0], head, "one view, one copy");
        assert.equal(byName.get("head"), head);
        assert.equal(Buffer.from(parts[1]!).readUInt32BE(0), i);
        assert.ok(head.buffer.byteLength <= 256, `item ${i}: ${head.buffer.byteLength} bytes`);
      } else {
        const whole = result as Uint8Array;
        assert.ok(Buffer.isBuffer(whole));
        assert.equal(whole.byteLength, 64 * 1024);
        assert.equal(Buffer.from(whole).readUInt32BE(4), i);
        assert.equal(whole[100], i);
        assert.equal(whole.buffer.byteLength, 64 * 1024, "a long result has a buffer of its own");
      }
    }
  });
});
