import assert from "node:assert/strict";
import { test } from "node:test";
import { ChunkChannel } from "../../src/channel/chunk-channel.js";
import { ChunkQueue } from "../../src/channel/chunk-queue.js";

test("a stamping queue keeps each chunk's arrival beside it, through growth and splits", () => {
  const queue = new ChunkQueue<number>();
  queue.stampArrivals();
  for (let i = 1; i <= 20; i++) queue.push([i, i], i * 10); // grows past 8 and 16
  const part = queue.shiftChunk(1);
  assert.deepEqual(part, [1]);
  assert.equal(queue.arrival, 10);
  assert.deepEqual(queue.shiftChunk(), [1]);
  assert.equal(queue.arrival, 10, "the rest of a split chunk keeps its stamp");
  queue.removeAt(2); // the first item of chunk 3: chunk 2 stays, chunk 3 keeps one item
  queue.removeAt(2); // chunk 3's last item: the chunk is gone, later stamps move up
  assert.deepEqual(queue.shiftChunk(), [2, 2]);
  assert.equal(queue.arrival, 20);
  assert.deepEqual(queue.shiftChunk(), [4, 4]);
  assert.equal(queue.arrival, 40);
});

test("a queue that does not stamp reports no arrival", () => {
  const queue = new ChunkQueue<number>();
  queue.push([1], 123);
  queue.shiftChunk();
  assert.equal(queue.arrival, 0);
});

test("a channel stamps its first chunk and then one in 16, only once asked to", () => {
  const channel = new ChunkChannel<number>(1_000);
  channel.pushChunk([0]);
  channel.takeChunk();
  assert.equal(channel.arrival, 0);
  channel.stampArrivals();
  const stamped: boolean[] = [];
  for (let i = 0; i < 33; i++) {
    channel.pushChunk([i]);
    channel.takeChunk();
    stamped.push(channel.arrival > 0);
  }
  assert.deepEqual(
    stamped.flatMap((s, i) => (s ? [i] : [])),
    [0, 16, 32],
  );
});
