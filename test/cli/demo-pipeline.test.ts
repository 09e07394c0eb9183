import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { demoPipeline, demoShape } from "../../src/cli/demo-pipeline.js";
import { isInvalidOptionError, isStageError } from "../../src/index.js";

describe("demoPipeline", () => {
  test("writes every record that was not skipped or filtered, in enrich's order", async () => {
    const { pipeline, tally } = demoPipeline({ items: 5_000, concurrency: 64 });
    const summary = await pipeline.run().drain();
    const [fetch, validate, enrich, batch, write] = summary.stages;
    assert.equal(fetch?.failed, 5_000 / demoShape.failEvery);
    assert.equal(tally.deadLetters, fetch?.failed);
    assert.equal(tally.firstDeadLetter, "record 999: upstream answered 503");
    assert.equal(tally.written, validate?.out);
    assert.equal(tally.written, enrich?.out);
    assert.equal(tally.batches, batch?.emitted);
    assert.equal(tally.batches, write?.in);
    assert.equal(tally.orderBroken, undefined);
    // Slow fetches finish after later records: the unordered stage shows completion order.
    assert.ok(tally.overtaken > 0);
  });

  test("is deterministic: the same records whatever the concurrency", async () => {
    const wide = demoPipeline({ items: 3_000, concurrency: 64 });
    const narrow = demoPipeline({ items: 3_000, concurrency: 1 });
    await Promise.all([wide.pipeline.run().drain(), narrow.pipeline.run().drain()]);
    assert.equal(wide.tally.checksum, narrow.tally.checksum);
    assert.equal(wide.tally.written, narrow.tally.written);
    assert.equal(narrow.tally.overtaken, 0);
  });

  test("failAt makes validate fail the run with a StageError", async () => {
    const { pipeline } = demoPipeline({ items: 3_000, concurrency: 8, failAt: 999 });
    await assert.rejects(pipeline.run().drain(), (error: unknown) => {
      assert.ok(isStageError(error));
      assert.equal(error.stage, "validate");
      // The item's index is its position in validate's input, which fetch's completion
      // order decides; the record id is what identifies it.
      assert.match(
        error.message,
        /^Stage "validate" failed on item #\d+ `[^`]*`: record 999 failed on purpose \(--fail-at 999\)$/,
      );
      return true;
    });
  });

  test("lets the library refuse a bad concurrency", () => {
    assert.throws(
      () => demoPipeline({ items: 10, concurrency: 0 }),
      (error: unknown) => isInvalidOptionError(error) && error.option === "map.concurrency",
    );
  });

  test("a cancelled run stops its sleeping records and settles", async () => {
    const { pipeline } = demoPipeline({ items: 10_000_000, concurrency: 64 });
    const controller = new AbortController();
    const run = pipeline.run({ signal: controller.signal });
    const draining = run.drain().catch(() => {});
    setTimeout(() => controller.abort(new Error("stop")), 20);
    await draining;
    const summary = await run.settled;
    assert.equal(summary.outcome, "cancelled");
    assert.ok(summary.pulled < 10_000_000);
  });
});
