import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ChunkQueue } from "../../src/channel/chunk-queue.js";

describe("ChunkQueue", () => {
  test("is empty until a chunk is pushed, and after its last item is taken", () => {
    const queue = new ChunkQueue<number>();
    assert.equal(queue.empty, true);
    assert.equal(queue.shiftChunk(), undefined);
    queue.push([1]);
    assert.equal(queue.empty, false);
    assert.equal(queue.shiftItem(), 1);
    assert.equal(queue.empty, true);
  });

  test("shiftChunk hands back a whole chunk as it was pushed, without copying", () => {
    const queue = new ChunkQueue<string>();
    const chunk = ["a", "b"];
    queue.push(chunk);
    assert.equal(queue.shiftChunk(), chunk);
  });

  test("shiftChunk(max) splits the head chunk and keeps the rest for later", () => {
    const queue = new ChunkQueue<number>();
    queue.push([1, 2, 3, 4, 5]);
    queue.push([6]);
    assert.deepEqual(queue.shiftChunk(2), [1, 2]);
    assert.deepEqual(queue.shiftChunk(2), [3, 4]);
    // Never crosses into the next chunk.
    assert.deepEqual(queue.shiftChunk(2), [5]);
    assert.deepEqual(queue.shiftChunk(2), [6]);
    assert.equal(queue.empty, true);
  });

  test("shiftItem takes items one by one across chunks in FIFO order", () => {
    const queue = new ChunkQueue<number>();
    queue.push([1, 2]);
    queue.push([3]);
    queue.push([4, 5]);
    const taken: number[] = [];
    while (!queue.empty) taken.push(queue.shiftItem());
    assert.deepEqual(taken, [1, 2, 3, 4, 5]);
  });

  test("shiftChunk after shiftItem returns only the unread rest of the head chunk", () => {
    const queue = new ChunkQueue<number>();
    queue.push([1, 2, 3]);
    assert.equal(queue.shiftItem(), 1);
    assert.deepEqual(queue.shiftChunk(), [2, 3]);
  });

  test("shiftItem drops its reference to the taken item", () => {
    const queue = new ChunkQueue<object | undefined>();
    const chunk: (object | undefined)[] = [{}, {}];
    queue.push(chunk);
    queue.shiftItem();
    assert.equal(chunk[0], undefined);
  });

  test("clear drops everything and counts only the items not yet taken", () => {
    const queue = new ChunkQueue<number>();
    queue.push([1, 2, 3]);
    queue.push([4, 5]);
    queue.shiftItem();
    assert.equal(queue.clear(), 4);
    assert.equal(queue.empty, true);
    assert.equal(queue.clear(), 0);
    queue.push([6]);
    assert.deepEqual(queue.shiftChunk(), [6]);
  });

  test("stays FIFO while thousands of chunks queue up, wrap around and drain", () => {
    const queue = new ChunkQueue<number>();
    for (let i = 0; i < 3000; i++) queue.push([i]);
    const taken: number[] = [];
    for (let i = 0; i < 2500; i++) taken.push(queue.shiftItem());
    for (let i = 3000; i < 4000; i++) queue.push([i]);
    while (!queue.empty) taken.push(...queue.shiftChunk()!);
    assert.deepEqual(
      taken,
      Array.from({ length: 4000 }, (_, i) => i),
    );
  });

  test("behaves like a flat FIFO array under any sequence of operations", () => {
    type Op =
      | { readonly kind: "push"; readonly size: number }
      | { readonly kind: "shiftChunk"; readonly max: number }
      | { readonly kind: "shiftItem" }
      | { readonly kind: "clear" };
    const op = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant("push" as const),
          size: fc.integer({ min: 1, max: 5 }),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant("shiftChunk" as const),
          max: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constant(Number.POSITIVE_INFINITY)),
        }),
      },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("shiftItem" as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const) }) },
    );
    fc.assert(
      fc.property(fc.array(op as fc.Arbitrary<Op>, { maxLength: 200 }), (ops) => {
        const queue = new ChunkQueue<number>();
        const model: number[][] = [];
        let next = 0;
        for (const step of ops) {
          switch (step.kind) {
            case "push": {
              const chunk = Array.from({ length: step.size }, () => next++);
              queue.push(chunk);
              model.push([...chunk]);
              break;
            }
            case "shiftChunk": {
              const head = model[0];
              const expected = head?.splice(0, step.max);
              if (head !== undefined && head.length === 0) model.shift();
              assert.deepEqual(queue.shiftChunk(step.max), expected);
              break;
            }
            case "shiftItem": {
              if (queue.empty) break;
              const head = model[0]!;
              const expected = head.shift();
              if (head.length === 0) model.shift();
              assert.equal(queue.shiftItem(), expected);
              break;
            }
            case "clear":
              assert.equal(
                queue.clear(),
                model.reduce((sum, chunk) => sum + chunk.length, 0),
              );
              model.length = 0;
              break;
          }
          assert.equal(queue.empty, model.length === 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("size and removeAt agree with an array model, whatever was shifted and removed", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ push: fc.integer({ min: 1, max: 5 }) }),
            fc.record({ shift: fc.constant(true) }),
            fc.record({ removeAt: fc.nat() }),
          ),
          { maxLength: 60 },
        ),
        (ops) => {
          const queue = new ChunkQueue<number>();
          const model: number[] = [];
          let next = 0;
          for (const op of ops) {
            if ("push" in op) {
              const chunk = Array.from({ length: op.push }, () => next++);
              queue.push(chunk);
              model.push(...chunk);
            } else if ("shift" in op) {
              if (model.length === 0) continue;
              assert.equal(queue.shiftItem(), model.shift());
            } else {
              if (model.length === 0) continue;
              const at = op.removeAt % model.length;
              assert.equal(queue.removeAt(at), model.splice(at, 1)[0]);
            }
            assert.equal(queue.size, model.length);
            assert.equal(queue.empty, model.length === 0);
          }
          const rest: number[] = [];
          for (let chunk = queue.shiftChunk(); chunk; chunk = queue.shiftChunk())
            rest.push(...chunk);
          assert.deepEqual(rest, model);
        },
      ),
    );
  });
});
