import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from, isTimeoutError, isWorkerCrashedError, type Result } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import { assertConserved } from "../helpers/conservation.js";

const spinBytes = new URL("./fixtures/spin-bytes.worker.js", import.meta.url);
type SpinBytes = (bytes: Uint8Array) => number;

/** A buffer of `length` bytes whose first byte is `first` (the ms the fixture spins). */
const bytes = (first: number, length = 64): Uint8Array => {
  const b = new Uint8Array(length);
  b[0] = first;
  return b;
};

// With `transfer: true` an item's bytes move to the thread that gets its batch: the main
// thread holds only a detached view, so nothing can send the item again. Each case below
// used to send detached buffers, which a thread cannot read ("messageerror": the batch was
// lost and the run never settled).
/**
 * Runs `[shared, fresh, shared]` through a one-thread transfer stage in batches of `batch`
 * (collecting failures): the outcomes, the settled summary, and the shared buffer.
 */
async function sameBufferTwice(batch: number) {
  const shared = bytes(0);
  const run = from([shared, bytes(0), shared])
    .map(thread<SpinBytes>(spinBytes, { threads: 1, batch, transfer: true }), {
      onError: "collect",
      ordered: true,
    })
    .run();
  const out = (await run.collect()) as Result<number, Uint8Array>[];
  return { out, shared, summary: await run.settled };
}

describe("thread stages with transfer: true", () => {
  test(
    "an item whose buffer is already detached fails naming it, and the rest go on",
    { timeout: 20_000 },
    async () => {
      const { out, summary } = await sameBufferTwice(1);
      assert.deepEqual(
        out.map((r) => r.ok),
        [true, true, false],
      );
      const failed = out[2] as { ok: false; error: Error };
      assert.match(
        failed.error.message,
        /cannot send item #2 to a thread: .*detached[^.;]*; with `transfer: true` each item's buffer moves to its thread, so a buffer an earlier batch moved cannot go again/,
      );
      assertConserved(summary);
    },
  );

  test("the same buffer twice in one batch moves once, and both items see it", async () => {
    const { out, shared, summary } = await sameBufferTwice(3);
    assert.deepEqual(
      out.map((r) => r.ok),
      [true, true, true],
    );
    assert.equal(shared.byteLength, 0, "moved to the thread");
    assertConserved(summary);
  });

  test(
    "a batch held up by a long call keeps its tail: the tail's bytes are on that thread",
    { timeout: 20_000 },
    async () => {
      const items = Array.from({ length: 32 }, (_, i) => bytes(i === 0 ? 200 : 1, 100 + i));
      const run = from(items)
        .map(thread<SpinBytes>(spinBytes, { threads: 2, batch: 8, transfer: true }), {
          concurrency: 16,
          ordered: true,
        })
        .run();
      const out = await run.toArray();
      assert.deepEqual(
        out,
        items.map((_, i) => 100 + i),
      );
      assert.equal(run.stats().stages[0]!.threads!.stolen, 0);
      assertConserved(run.stats());
    },
  );

  test(
    "every item on a thread that dies fails with a WorkerCrashedError that says why it is not sent again",
    { timeout: 20_000 },
    async () => {
      const items = Array.from({ length: 6 }, (_, i) => bytes(i === 3 ? 255 : 0));
      const run = from(items)
        .map(thread<SpinBytes>(spinBytes, { threads: 1, batch: 6, transfer: true }), {
          onError: "collect",
          ordered: true,
        })
        .run();
      const out = (await run.collect()) as Result<number, Uint8Array>[];
      assert.equal(out.length, 6);
      for (const [i, result] of out.entries()) {
        assert.equal(result.ok, false, `item ${i}`);
        const error = result.ok ? undefined : result.error;
        assert.ok(isWorkerCrashedError(error), `item ${i}: ${String(error)}`);
        assert.equal(error.index, i);
        assert.equal(error.exitCode, 7);
        assert.match(error.message, /transfer: true/);
      }
      const stats = (await run.settled).stages[0]!;
      assert.equal(stats.threads!.crashes, 1);
      assert.equal(stats.threads!.retried, 0);
      assertConserved(await run.settled);
    },
  );

  test(
    "a call past the timeout fails with a TimeoutError; its batch's other items fail with its thread",
    { timeout: 20_000 },
    async () => {
      const items = [bytes(0), bytes(0), bytes(250), bytes(0)];
      const run = from(items)
        .map(thread<SpinBytes>(spinBytes, { threads: 1, batch: 4, transfer: true, timeout: 60 }), {
          onError: "collect",
          ordered: true,
        })
        .run();
      const out = (await run.collect()) as Result<number, Uint8Array>[];
      const errors = out.map((r) => (r.ok ? undefined : r.error));
      assert.ok(isTimeoutError(errors[2]), String(errors[2]));
      for (const i of [0, 1, 3]) {
        assert.ok(isWorkerCrashedError(errors[i]), `item ${i}: ${String(errors[i])}`);
        assert.match((errors[i] as Error).message, /terminated/);
      }
      assertConserved(await run.settled);
    },
  );
});
