import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from, isCancelledError, SourceError } from "../../src/index.js";
import { SyncSource } from "../../src/source/sync-source.js";
import { fakeRun } from "../helpers/fake-run.js";
import { settleTurns } from "../helpers/resources.js";

/** An endless counting iterator that records how far it was read and whether it was closed. */
function counter(): Iterator<number> & { pulled: number; returned: number } {
  return {
    pulled: 0,
    returned: 0,
    next() {
      return { done: false, value: this.pulled++ };
    },
    return() {
      this.returned++;
      return { done: true, value: undefined };
    },
  };
}

/** A stage function that never settles until the run's signal aborts. */
const untilAborted = (_: unknown, { signal }: { signal: AbortSignal }): Promise<never> =>
  new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

describe("SyncSource", () => {
  test("reads nothing until asked, then one chunk of at most `chunk` items per take", () => {
    const iterator = counter();
    const source = new SyncSource(iterator, 3, fakeRun());
    assert.equal(iterator.pulled, 0);
    assert.equal(source.ready, true);
    assert.deepEqual(source.takeChunk(), [0, 1, 2]);
    assert.equal(iterator.pulled, 3);
    assert.deepEqual(source.takeChunk(), [3, 4, 5]);
    assert.equal(source.pulled, 6);
  });

  test("hands over a short last chunk, then ends drained", () => {
    const source = new SyncSource([1, 2, 3, 4][Symbol.iterator](), 3, fakeRun());
    assert.deepEqual(source.takeChunk(), [1, 2, 3]);
    assert.deepEqual(source.takeChunk(), [4]);
    assert.equal(source.takeChunk(), undefined);
    assert.equal(source.drained, true);
    assert.equal(source.ready, false);
    assert.equal(source.pulled, 4);
  });

  test("stop() closes an unfinished iterator once, and a finished one never", () => {
    const open = counter();
    const source = new SyncSource(open, 2, fakeRun());
    source.takeChunk();
    source.stop();
    source.stop();
    assert.equal(open.returned, 1);
    assert.equal(source.takeChunk(), undefined);

    let returned = 0;
    const finished = {
      next: () => ({ done: true as const, value: undefined }),
      return: () => {
        returned++;
        return { done: true as const, value: undefined };
      },
    };
    const ended = new SyncSource(finished, 2, fakeRun());
    assert.equal(ended.takeChunk(), undefined);
    ended.stop();
    assert.equal(returned, 0);
  });

  test("stop() reports a throwing return() to the run as a cleanup failure", () => {
    const cleanup = new Error("cleanup failed");
    const iterator = {
      next: () => ({ done: false as const, value: 1 }),
      return: (): IteratorResult<number> => {
        throw cleanup;
      },
    };
    const run = fakeRun();
    const source = new SyncSource(iterator, 2, run);
    assert.doesNotThrow(() => source.stop());
    assert.deepEqual(run.failures, [cleanup]);
  });
});

describe("sync sources in a pipeline", () => {
  test("reads arrays, Sets, Maps and strings inside an array", async () => {
    assert.deepEqual(await from([1, 2, 3]).run().collect(), [1, 2, 3]);
    assert.deepEqual(
      await from(new Set(["a", "b"]))
        .run()
        .collect(),
      ["a", "b"],
    );
    assert.deepEqual(
      await from(
        new Map([
          ["k", 1],
          ["l", 2],
        ]),
      )
        .run()
        .collect(),
      [
        ["k", 1],
        ["l", 2],
      ],
    );
    assert.deepEqual(await from(["abc"]).run().collect(), ["abc"]);
  });

  test("reads a sync generator through a function, afresh on every run", async () => {
    const pipeline = from(function* () {
      yield 1;
      yield 2;
    }).map((x) => x * 10);
    assert.deepEqual(await pipeline.run().collect(), [10, 20]);
    assert.deepEqual(await pipeline.run().collect(), [10, 20]);
  });

  test("reads more items than one chunk, in order", async () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    assert.deepEqual(await from(items, { buffer: 7 }).run().collect(), items);
  });

  test("a sync iterator that throws mid-way fails the run with a SourceError counting the items pulled", async () => {
    const cause = new Error("corrupt record");
    await assert.rejects(
      from(function* () {
        yield* [1, 2, 3];
        throw cause;
      })
        .map((x) => x)
        .run()
        .collect(),
      (error: unknown) => {
        assert.ok(error instanceof SourceError);
        assert.equal(error.code, "ERR_SLUICE_SOURCE_FAILED");
        assert.equal(error.pulled, 3);
        assert.equal(error.cause, cause);
        assert.equal(error.message, "Source failed after 3 item(s): corrupt record");
        return true;
      },
    );
  });

  test("breaking out of the output loop closes the generator (its finally runs)", async () => {
    let closed = false;
    const run = from(function* () {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    })
      .map((x) => x)
      .run();
    for await (const value of run) {
      if (value === 5) break;
    }
    assert.equal(closed, true);
    assert.equal((await run.settled).outcome, "cancelled");
  });

  test("cancelling by signal closes the generator and the run rejects with CancelledError", async () => {
    let closed = false;
    const controller = new AbortController();
    const run = from(function* () {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    })
      .map(untilAborted, { concurrency: 2 })
      .run({ signal: controller.signal });
    const collecting = run.collect();
    await settleTurns();
    controller.abort(new Error("stop"));
    await assert.rejects(collecting, (error) => isCancelledError(error));
    assert.equal(closed, true);
  });

  test("is read at most one chunk ahead of a blocked first stage", async () => {
    const iterator = counter();
    const run = from({ [Symbol.iterator]: () => iterator }, { buffer: 4 })
      .map(untilAborted, { concurrency: 2, buffer: 1 })
      .run();
    const next = run.next();
    await settleTurns();
    assert.equal(iterator.pulled, 4);
    assert.equal(run.stats().pulled, 4);
    await run.cancel();
    await assert.rejects(next, (error) => isCancelledError(error));
    assert.equal(iterator.returned, 1);
  });
});
