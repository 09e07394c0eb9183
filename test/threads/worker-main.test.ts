import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import {
  type BatchMessage,
  CLAIM_SLOTS,
  type DoneMessage,
  PROGRESS_BYTES,
} from "../../src/threads/protocol.js";
import { batchMessage } from "../helpers/batch-message.js";

const runtime = new URL("../../src/threads/worker-main.js", import.meta.url);
const double = new URL("./fixtures/double.worker.js", import.meta.url).href;

/** The thread runtime on its own, with the shared records a pool would give it. */
async function startRuntime() {
  const claims = new Int32Array(new SharedArrayBuffer(4 * CLAIM_SLOTS));
  const worker = new Worker(runtime, {
    workerData: {
      thread: 0,
      progress: new SharedArrayBuffer(PROGRESS_BYTES),
      claims: claims.buffer,
    },
  });
  worker.postMessage({ t: "init", module: 1, url: double });
  const [ready] = (await once(worker, "message")) as [{ t: string; error?: unknown }];
  assert.deepEqual(ready, { t: "ready", module: 1 });
  return { worker, claims };
}

function batch(items: number[], claim: number | undefined, claimStep: number): BatchMessage {
  return batchMessage({ id: 7, module: 1, items, claim, claimStep });
}

/**
 * A view over an `ArrayBuffer` moved away already: sent with that buffer in the transfer
 * list, it makes the message unreadable on the other side.
 */
function detachedView(): Uint8Array {
  const view = new Uint8Array(8);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
}

describe("the thread runtime (worker-main)", () => {
  test("a batch without a claim slot runs every item once and touches no claim cursor", async () => {
    const { worker, claims } = await startRuntime();
    try {
      // Slot 0 holds another batch's cursor, part way.
      claims[0] = 1;
      worker.postMessage(batch([1, 2, 3], undefined, 4));
      const [done] = (await once(worker, "message")) as [DoneMessage];
      assert.deepEqual(done.values, [2, 4, 6]);
      assert.equal(Atomics.load(claims, 0), 1, "slot 0's cursor is not this batch's");
    } finally {
      await worker.terminate();
    }
  });

  test("a batch with a claim slot claims its positions a run of claimStep at a time", async () => {
    const { worker, claims } = await startRuntime();
    try {
      worker.postMessage(batch([1, 2, 3, 4, 5], 2, 2));
      const [done] = (await once(worker, "message")) as [DoneMessage];
      assert.deepEqual(done.values, [2, 4, 6, 8, 10]);
      // Runs claimed at 0, 2 and 4; the last one reaches past the end, so no claim follows.
      assert.equal(Atomics.load(claims, 2), 6);
    } finally {
      await worker.terminate();
    }
  });
  test("a message it cannot read is reported with its number, and the next one runs", async () => {
    const { worker } = await startRuntime();
    try {
      // postMessage does not refuse a detached buffer in the transfer list; the thread's
      // "messageerror" is all that shows it. Message 1 was the init.
      const detached = detachedView();
      worker.postMessage({ ...batch([1], undefined, 1), items: [detached] }, [
        detached.buffer as ArrayBuffer,
      ]);
      const [unreadable] = (await once(worker, "message")) as [
        { t: string; seq: number; error: unknown },
      ];
      assert.equal(unreadable.t, "unreadable");
      assert.equal(unreadable.seq, 2);
      worker.postMessage(batch([5], undefined, 1));
      const [done] = (await once(worker, "message")) as [DoneMessage];
      assert.deepEqual(done.values, [10]);
    } finally {
      await worker.terminate();
    }
  });
});
