import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import { assertConserved } from "../helpers/conservation.js";

const busy = new URL("./fixtures/busy.worker.js", import.meta.url);
const recordId = new URL("./fixtures/record-id.worker.js", import.meta.url);

describe("work stealing", () => {
  test("items queued behind a long call in its batch go to an idle thread: they finish first, each once", async () => {
    // Batches of 8; the first batch's first item spins 400 ms, every other item 1 ms.
    const items = Array.from({ length: 64 }, (_, i) => (i === 0 ? 400 : 1));
    const run = from(items)
      .map(thread<(ms: number) => number>(busy, { threads: 2, batch: 8 }), { concurrency: 16 })
      .run();
    // The worker answers its item (the ms it spun): the order of the values is the order of
    // completion.
    const out = await run.toArray();
    const summary = run.stats();
    assert.equal(out.length, 64, "every item once");
    assert.equal(out.filter((ms) => ms === 400).length, 1);
    assert.equal(out.at(-1), 400, "the long call finishes last: nothing waited behind it");
    assert.ok(
      summary.stages[0]!.threads!.stolen >= 1,
      `${summary.stages[0]!.threads!.stolen} stolen`,
    );
    assertConserved(summary);
  });

  test("cheap items are claimed many at a time: a long call holds back at most its own claimed run", async () => {
    // 4,000 items that cost microseconds teach the stage to claim up to 64 at a time; the
    // long call's batch then gives up everything past the run it was claimed in.
    const items = Array.from({ length: 6000 }, (_, i) => (i === 4000 ? 300 : 0));
    const run = from(items)
      .map(thread<(ms: number) => number>(busy, { threads: 2 }), { ordered: false })
      .run();
    const out = await run.toArray();
    const stats = run.stats();
    assert.equal(out.length, 6000, "every item once");
    assert.equal(out.filter((ms) => ms === 300).length, 1);
    const behind = out.length - 1 - out.indexOf(300);
    assert.ok(behind < 64, `${behind} items finished after the long call`);
    assert.ok(stats.stages[0]!.threads!.stolen >= 1, `${stats.stages[0]!.threads!.stolen} stolen`);
    assertConserved(stats);
  });

  test("a batch with nothing left to steal does not stop the steal: the batch queued behind it on the same thread is taken", async () => {
    // Batches of 8, two per thread: thread 0 holds items 0–7 and 16–23. Item 7, the last it
    // claims of its first batch, spins 300 ms; by the time thread 1 is idle, that batch has
    // no unclaimed position left, and items 16–23 wait behind the long call.
    const items = Array.from({ length: 32 }, (_, i) => (i === 7 ? 300 : 1));
    const run = from(items)
      .map(thread<(ms: number) => number>(busy, { threads: 2, batch: 8 }), {
        concurrency: 32,
        ordered: false,
      })
      .run();
    const out = await run.toArray();
    assert.equal(out.length, 32, "every item once");
    assert.equal(out.at(-1), 300, "the long call finishes last: nothing waited behind it");
    assert.equal(run.stats().stages[0]!.threads!.stolen, 8, "the queued batch, whole");
    assertConserved(run.stats());
  });

  test("an item moves to an idle thread at most once: items cheap to run but dear to copy do not go round", async () => {
    // Each call costs microseconds, each item's copy a millisecond: every batch looked late
    // while its thread was still reading it, and its tail went from thread to thread.
    const items = Array.from({ length: 60 }, (_, id) => ({ id, body: Buffer.alloc(1 << 20, id) }));
    const run = from(items)
      .map(thread<(record: { id: number }) => number>(recordId, { threads: 2, batch: 30 }), {
        ordered: true,
      })
      .run();
    const out = await run.toArray();
    assert.deepEqual(
      out,
      items.map((record) => record.id),
    );
    const stolen = run.stats().stages[0]!.threads!.stolen;
    assert.ok(stolen <= items.length, `${stolen} stolen`);
    assertConserved(run.stats());
  });

  test("ordered: the stolen items keep their places in the output", async () => {
    const items = Array.from({ length: 40 }, (_, i) => (i === 3 ? 300 : 1));
    const run = from(items)
      .map(thread<(ms: number) => number>(busy, { threads: 2, batch: 10 }), {
        concurrency: 20,
        ordered: true,
      })
      .run();
    const out = await run.toArray();
    assert.deepEqual(out, items);
    assert.ok(run.stats().stages[0]!.threads!.stolen >= 1);
    assertConserved(run.stats());
  });

  test("a thread that dies after its batch was split: the items it kept are sent again, the stolen ones ran elsewhere, each once", async () => {
    const attempts = new SharedArrayBuffer(4);
    const items = Array.from({ length: 48 }, (_, i) =>
      i === 0 ? { ms: 300, crash: true, attempts } : { ms: 1 },
    );
    const run = from(items)
      .map(
        thread<(item: { ms: number; crash?: boolean; attempts?: SharedArrayBuffer }) => number>(
          new URL("./fixtures/slow-crash.worker.js", import.meta.url),
          { threads: 2, batch: 8 },
        ),
        { concurrency: 16 },
      )
      .run();
    const out = await run.toArray();
    assert.equal(out.length, 48);
    assert.equal(out.filter((ms) => ms === 300).length, 1);
    const stats = run.stats().stages[0]!.threads!;
    assert.ok(stats.stolen >= 1, `${stats.stolen} stolen`);
    assert.equal(stats.crashes, 1);
    assert.equal(
      new Int32Array(attempts)[0],
      2,
      "the item that crashed ran twice, nothing else again",
    );
    assertConserved(run.stats());
  });
});
