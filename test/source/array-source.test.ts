import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from, SourceError } from "../../src/index.js";
import { ArraySource, iteratesAsArray } from "../../src/source/array-source.js";
import { fakeRun } from "../helpers/fake-run.js";

describe("ArraySource", () => {
  test("reads nothing until asked, then one chunk of at most `chunk` items per take", () => {
    const source = new ArraySource([1, 2, 3, 4, 5, 6, 7], 3, fakeRun());
    assert.equal(source.pulled, 0);
    assert.equal(source.ready, true);
    assert.deepEqual(source.takeChunk(), [1, 2, 3]);
    assert.deepEqual(source.takeChunk(), [4, 5, 6]);
    assert.equal(source.pulled, 6);
    assert.deepEqual(source.takeChunk(), [7]);
    assert.equal(source.drained, true);
    assert.equal(source.takeChunk(), undefined);
    assert.equal(source.pulled, 7);
  });

  test("an array whose length is a multiple of the chunk ends on the take after its last chunk", () => {
    const source = new ArraySource([1, 2], 2, fakeRun());
    assert.deepEqual(source.takeChunk(), [1, 2]);
    assert.equal(source.drained, false);
    assert.equal(source.takeChunk(), undefined);
    assert.equal(source.drained, true);
  });

  test("an empty array ends at once", () => {
    const source = new ArraySource([], 4, fakeRun());
    assert.equal(source.takeChunk(), undefined);
    assert.equal(source.drained, true);
  });

  test("reads as the array iterator does: holes as undefined, growth before the end, none after", () => {
    // eslint-disable-next-line no-sparse-arrays
    const holey = [1, , 3];
    assert.deepEqual(new ArraySource(holey, 8, fakeRun()).takeChunk(), [...holey]);

    const growing = [1, 2, 3];
    const source = new ArraySource(growing, 2, fakeRun());
    assert.deepEqual(source.takeChunk(), [1, 2]);
    growing.push(4);
    assert.deepEqual(source.takeChunk(), [3, 4]);
    assert.equal(source.takeChunk(), undefined);
    growing.push(5);
    assert.equal(source.takeChunk(), undefined);
  });

  test("a getter that throws first fails the run at once", () => {
    const cause = new Error("bad index");
    const items: number[] = [];
    Object.defineProperty(items, 0, {
      get() {
        throw cause;
      },
    });
    const run = fakeRun();
    assert.equal(new ArraySource(items, 8, run).takeChunk(), undefined);
    assert.equal((run.failures[0] as SourceError).pulled, 0);
  });

  test("stop() ends the reading", () => {
    const source = new ArraySource([1, 2, 3], 1, fakeRun());
    source.takeChunk();
    source.stop();
    assert.equal(source.takeChunk(), undefined);
    assert.equal(source.drained, true);
  });

  test("iteratesAsArray: plain arrays only, not array-likes or arrays with their own iteration", () => {
    assert.equal(iteratesAsArray([1]), true);
    assert.equal(iteratesAsArray(new Set([1])), false);
    assert.equal(iteratesAsArray(new Uint8Array(2)), false);
    assert.equal(iteratesAsArray("abc"), false);
    const own = [1, 2];
    Object.defineProperty(own, Symbol.iterator, { value: () => [2, 1][Symbol.iterator]() });
    assert.equal(iteratesAsArray(own), false);
  });
});

describe("arrays in a pipeline", () => {
  test("an array with its own iteration is read through it", async () => {
    const own = [1, 2, 3];
    Object.defineProperty(own, Symbol.iterator, { value: () => [3, 2, 1][Symbol.iterator]() });
    assert.deepEqual(await from(own).run().collect(), [3, 2, 1]);
  });

  test("a large array goes through whole and in order, twice", async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => i);
    const pipeline = from(items, { buffer: 33 }).map((x) => x + 1, { ordered: true });
    const expected = items.map((x) => x + 1);
    assert.deepEqual(await pipeline.run().collect(), expected);
    assert.deepEqual(await pipeline.run().collect(), expected);
  });
});
