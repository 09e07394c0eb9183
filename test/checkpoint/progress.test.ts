import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { MAX_SAVED_DONE, Progress } from "../../src/checkpoint/progress.js";

describe("Progress", () => {
  test("the watermark moves over each run of completed items, in any completion order", () => {
    const progress = new Progress<number>(undefined);
    const seqs = [1, 2, 3, 4, 5].map((position) => progress.read(position));
    progress.complete(seqs[1]!);
    progress.complete(seqs[3]!);
    assert.deepEqual(progress.snapshot(), { position: undefined, done: [2, 4] });
    progress.complete(seqs[0]!);
    assert.deepEqual(progress.snapshot(), { position: 2, done: [4] });
    progress.complete(seqs[2]!);
    progress.complete(seqs[4]!);
    assert.deepEqual(progress.snapshot(), { position: 5, done: [] });
  });

  test("a resumed run reads after the saved position and skips what was done past it, saving those until read", () => {
    const progress = new Progress<string>({ position: "b", done: ["d", "f"] });
    assert.equal(progress.resumeAfter, "b");
    assert.equal(progress.completedBefore("c"), false);
    assert.equal(progress.completedBefore("d"), true);
    assert.equal(progress.completedBefore("d"), false, "asked once per item");
    progress.complete(progress.read("c"));
    assert.deepEqual(progress.snapshot(), { position: "c", done: ["f"] });
  });

  test("a save lists at most MAX_SAVED_DONE positions past the watermark", () => {
    const progress = new Progress<number>(undefined);
    const stuck = progress.read(0);
    for (let i = 1; i <= MAX_SAVED_DONE + 5; i++) progress.complete(progress.read(i));
    const { position, done } = progress.snapshot();
    assert.equal(position, undefined);
    assert.equal(done.length, MAX_SAVED_DONE);
    progress.complete(stuck);
    assert.deepEqual(progress.snapshot(), { position: MAX_SAVED_DONE + 5, done: [] });
  });

  test("changes count completions since the last snapshot", () => {
    const progress = new Progress<number>(undefined);
    progress.complete(progress.read(1));
    progress.complete(progress.read(2));
    assert.equal(progress.changes, 2);
    progress.snapshot();
    assert.equal(progress.changes, 0);
  });

  test("property: the saved state covers exactly the completed items, whatever the order", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 60 })
          .chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()]))),
        ([n, completed]) => {
          const progress = new Progress<number>(undefined);
          const seqs = Array.from({ length: n }, (_, i) => progress.read(i + 1));
          for (const i of completed) progress.complete(seqs[i]!);
          const { position, done } = progress.snapshot();
          const covered = new Set(done);
          for (let p = 1; p <= (position ?? 0); p++) covered.add(p);
          assert.deepEqual(
            [...covered].sort((a, b) => a - b),
            completed.map((i) => i + 1).sort((a, b) => a - b),
          );
          // The watermark is contiguous: the item after it is not completed.
          assert.ok(!completed.includes(position ?? 0));
        },
      ),
    );
  });
});
