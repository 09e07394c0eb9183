import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  renderProgressBlock,
  renderProgressLine,
  sourceRate,
  stageRates,
} from "../../src/cli/progress-line.js";
import { LatencyRecorder } from "../../src/observe/latency-histogram.js";
import { runSummary, stageStats } from "./fixtures.js";

/** A run 1 s in: fetch has 40 of 64 in flight, the batch stage is filling. */
const running = runSummary({
  outcome: "running",
  pulled: 2_000,
  durationMs: 1_000,
  stages: [
    stageStats({ in: 1_800, out: 1_750, failed: 10, inFlight: 40 }),
    stageStats({ name: "batch", kind: "batch", concurrency: 1, in: 1_500, out: 1_000 }),
  ],
});

/** The same run half a second earlier. */
const earlier = runSummary({
  outcome: "running",
  pulled: 1_000,
  durationMs: 500,
  stages: [stageStats({ in: 900 }), stageStats({ name: "batch", kind: "batch", in: 1_000 })],
});

describe("stageRates", () => {
  test("measures each stage's intake since the previous snapshot", () => {
    assert.deepEqual(stageRates(running, earlier), [1_800, 1_000]);
  });

  test("measures since the start of the run without a previous snapshot", () => {
    assert.deepEqual(stageRates(running, undefined), [1_800, 1_500]);
  });

  test("is 0 when no time has passed", () => {
    assert.deepEqual(stageRates(running, running), [0, 0]);
  });
});

describe("sourceRate", () => {
  test("measures items pulled per second", () => {
    assert.equal(sourceRate(running, earlier), 2_000);
    assert.equal(sourceRate(running, undefined), 2_000);
  });
});

describe("renderProgressBlock", () => {
  test("renders a header and one aligned row per stage", () => {
    assert.deepEqual(renderProgressBlock(running, earlier), [
      "running 1.0s · pulled 2,000 · 2.00k/s",
      "  stage  kind      in    out  in flight  queue     rate  p50  p99  errors",
      "  fetch  map    1,800  1,750      40/64      -  1.80k/s    -    -      10",
      "  batch  batch  1,500  1,000          -      -  1.00k/s    -    -      10",
    ]);
  });

  test("with metrics: the input queue, and p50/p99 of the calls timed since the last snapshot", () => {
    const recorder = new LatencyRecorder();
    for (let i = 0; i < 100; i++) recorder.record(2);
    const before = recorder.snapshot();
    for (let i = 0; i < 100; i++) recorder.record(i < 98 ? 10 : 500);
    const [fetch, batch] = running.stages;
    const [fetchBefore, batchBefore] = earlier.stages;
    const now = {
      ...running,
      stages: [
        { ...fetch!, queueDepth: 37, processingMs: recorder.snapshot() },
        { ...batch!, queueDepth: 0 },
      ],
    };
    const then = {
      ...earlier,
      stages: [
        { ...fetchBefore!, queueDepth: 5, processingMs: before },
        { ...batchBefore!, queueDepth: 0 },
      ],
    };
    assert.deepEqual(renderProgressBlock(now, then).slice(1), [
      "  stage  kind      in    out  in flight  queue     rate     p50    p99  errors",
      // The 2 ms calls before the window are left out; 10 ms reads as its bucket's 11.6 ms.
      "  fetch  map    1,800  1,750      40/64     37  1.80k/s  11.6ms  500ms      10",
      "  batch  batch  1,500  1,000          -      0  1.00k/s       -      -      10",
    ]);
  });

  test("the in-flight column shows the live width, not the configured one", () => {
    const narrowed = { ...running, stages: [{ ...running.stages[0]!, limit: 8, inFlight: 8 }] };
    assert.match(renderProgressBlock(narrowed, undefined)[2]!, / 8\/8 /);
  });

  test("cuts every line to the terminal width, so the block never wraps", () => {
    const lines = renderProgressBlock(running, earlier, 20);
    assert.deepEqual(lines, [
      "running 1.0s · pull…",
      "  stage  kind      …",
      "  fetch  map    1,8…",
      "  batch  batch  1,5…",
    ]);
  });
});

describe("renderProgressLine", () => {
  test("renders the whole run on one line for logs", () => {
    assert.equal(
      renderProgressLine(running, earlier),
      "[1.0s] pulled 2,000 (2.00k/s) | fetch 1,800→1,750 40/64 1.80k/s | batch 1,500→1,000 - 1.00k/s",
    );
  });
});
