import assert from "node:assert/strict";
import { test } from "node:test";
import { ChunkChannel } from "../../src/channel/chunk-channel.js";
import { InputCursor } from "../../src/stage/stage-input.js";

test("a taken chunk stays counted upstream until its last item is taken", () => {
  const channel = new ChunkChannel<number>(10);
  channel.pushChunk([1, 2, 3]);
  const cursor = new InputCursor(channel);
  assert.ok(cursor.tryRefill());
  assert.equal(channel.size, 3);
  assert.equal(cursor.take(), 1);
  assert.equal(cursor.take(), 2);
  assert.equal(channel.size, 3);
  assert.equal(cursor.take(), 3);
  assert.equal(channel.size, 0);
});

test("discard releases and counts what was never taken", () => {
  const channel = new ChunkChannel<number>(10);
  channel.pushChunk([1, 2, 3]);
  channel.pushChunk([4]);
  const cursor = new InputCursor(channel);
  cursor.tryRefill();
  cursor.take();
  cursor.discard();
  assert.equal(cursor.discarded, 3);
  assert.equal(channel.size, 0);
  // A later discard adds what arrived since.
  channel.pushChunk([5, 6]);
  cursor.discard();
  assert.equal(cursor.discarded, 5);
});

test("ended only once the input is drained and the chunk used up", () => {
  const channel = new ChunkChannel<number>(10);
  channel.pushChunk([1]);
  channel.close();
  const cursor = new InputCursor(channel);
  assert.equal(cursor.ended, false);
  cursor.tryRefill();
  assert.equal(cursor.ended, false);
  cursor.take();
  assert.equal(cursor.ended, true);
  assert.equal(cursor.hasMore(), false);
});
