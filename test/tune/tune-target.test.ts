import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Executor, from, type Limiter, tune } from "../../src/index.js";
import { kExecutor } from "../../src/contract/executor.js";
import { isTunablePipeline, tunedStage } from "../../src/tune/tune-target.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

/** An executor as `thread()` makes one, never run: only its spec matters here. */
const fakeThreads = {
  [kExecutor]: true,
  description: "threads(hash.worker.js)",
  defaultConcurrency: () => 4,
  createStage: () => {
    throw new Error("not run in these tests");
  },
} as unknown as Executor<number, number>;

/** A static limiter-shaped object: what `aimd()` would be to the stage. */
const limiter: Limiter = { limit: 4, max: 8, onSample: () => {} };

const twoStages = from([1, 2, 3])
  .map((n) => n + 1, { name: "fetch" })
  .batch({ size: 2 })
  .map((batch) => batch.length, { name: "parse" });

describe("tune() stage", () => {
  test("defaults to the only function stage", () => {
    const pipeline = from([1])
      .map((n) => n)
      .batch({ size: 2 })
      .take(1);
    const found = tunedStage(pipeline.specs, undefined);
    assert.equal(found.index, 0);
    assert.equal(found.spec.name, "map#1");
  });

  test("ignores thread stages when it picks the only function stage", () => {
    const pipeline = from([1, 2])
      .map(fakeThreads)
      .map((n) => n, { name: "local" });
    assert.equal(tunedStage(pipeline.specs, undefined).spec.name, "local");
  });

  test("an unknown name lists the stages that can be tuned", () => {
    assertInvalid(
      () => tune(twoStages, { stage: "fetc" }),
      'Expected `tune.stage` to be the name of a map, filter, flatMap, tap or forEach stage of the pipeline (fetch, parse), got `"fetc"` (string)',
      "tune.stage",
    );
  });

  test("the name of a stage that is not a function stage is refused the same way", () => {
    assertInvalid(
      () => tune(twoStages, { stage: "batch#2" }),
      'Expected `tune.stage` to be the name of a map, filter, flatMap, tap or forEach stage of the pipeline (fetch, parse), got `"batch#2"` (string)',
      "tune.stage",
    );
  });

  test("several function stages and no name: asks for one, listing them", () => {
    assertInvalid(
      () => tune(twoStages),
      "Option `tune.stage` is required when the pipeline has several function stages: name one of fetch, parse",
      "tune.stage",
    );
  });

  test("no function stage on the event loop: says there is nothing to tune", () => {
    assertInvalid(
      () => tune(from([1, 2]).map(fakeThreads).take(1)),
      "Option `tune.stage` finds nothing to tune: the pipeline has no map, filter, flatMap, tap or forEach stage that runs on the event loop",
      "tune.stage",
    );
  });

  test("a stage whose width a limiter sets cannot be tuned", () => {
    assertInvalid(
      () => tune(from([1]).map((n) => n, { name: "adaptive", concurrency: limiter })),
      'Cannot tune stage "adaptive": its `concurrency` is an adaptive limiter, which sets the width itself; give the stage a number as its concurrency to tune it',
      "tune.stage",
    );
  });

  test("a thread stage cannot be tuned", () => {
    assertInvalid(
      () => tune(from([1]).map(fakeThreads, { name: "hash" }), { stage: "hash" }),
      'Cannot tune stage "hash": it runs on threads(hash.worker.js), where the width is its threads\' batches, not calls on the event loop; size it with `threads` instead',
      "tune.stage",
    );
  });

  test("with a factory, the same errors reject after its first call", async () => {
    let calls = 0;
    await assert.rejects(
      tune(() => {
        calls++;
        return twoStages;
      }),
      {
        name: "InvalidOptionError",
        message:
          "Option `tune.stage` is required when the pipeline has several function stages: name one of fetch, parse",
      },
    );
    assert.equal(calls, 1);
  });

  test("recognises pipelines by shape", () => {
    assert.equal(isTunablePipeline(twoStages), true);
    assert.equal(isTunablePipeline(from([1]).forEach(() => {})), true);
    assert.equal(isTunablePipeline({ specs: [], run() {} }), false);
    assert.equal(isTunablePipeline(null), false);
  });
});
