import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SourceError } from "../../src/index.js";
import { ArraySource } from "../../src/source/array-source.js";
import type { ChunkedSyncSource } from "../../src/source/chunked-sync-source.js";
import { SyncSource } from "../../src/source/sync-source.js";
import { fakeRun } from "../helpers/fake-run.js";

type Run = ReturnType<typeof fakeRun>;

/** Each reader over items 1 and 2, then a read that throws `cause`. */
const readers: Record<string, (cause: Error, run: Run) => ChunkedSyncSource<number>> = {
  "an iterator (SyncSource)": (cause, run) =>
    new SyncSource(
      (function* () {
        yield 1;
        yield 2;
        throw cause;
      })(),
      8,
      run,
    ),
  "an array with a throwing index getter (ArraySource)": (cause, run) => {
    const items = [1, 2, 3];
    Object.defineProperty(items, 2, {
      get() {
        throw cause;
      },
    });
    return new ArraySource(items, 8, run);
  },
};

describe("sync sources: a throw while reading", () => {
  for (const [name, open] of Object.entries(readers)) {
    test(`${name}: the items before it go first, then the run fails with a SourceError counting them`, () => {
      const cause = new Error("bad record");
      const run = fakeRun();
      const source = open(cause, run);
      assert.deepEqual(source.takeChunk(), [1, 2]);
      assert.equal(run.failures.length, 0, "not before the stage asks for more");
      assert.equal(source.takeChunk(), undefined);
      assert.equal(run.failures.length, 1);
      const [error] = run.failures;
      assert.ok(error instanceof SourceError);
      assert.equal(error.pulled, 2);
      assert.equal(error.cause, cause);
      assert.equal(source.drained, true);
    });
  }
});
