import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { wireFrame, wireStages } from "../../src/dashboard/frame.js";
import { LatencyRecorder } from "../../src/observe/latency-histogram.js";
import { metricsAt } from "./fake-run.js";

describe("wireFrame", () => {
  test("rates are per second over the interval between the two snapshots", () => {
    const before = metricsAt(1_000, [{ name: "fetch", in: 100, out: 80, failed: 2 }]);
    const after = metricsAt(3_000, [{ name: "fetch", in: 500, out: 480, failed: 10 }]);
    const [stage] = wireFrame(after, before, false).stages;
    assert.equal(stage!.outPerSecond, 200);
    assert.equal(stage!.failedPerSecond, 4);
    assert.deepEqual([stage!.in, stage!.out, stage!.failed], [500, 480, 10]);
  });

  test("numbers are rounded to what a chart shows: ms whole, rates to 0.01", () => {
    const frame = wireFrame(metricsAt(2_999.87, [{ name: "fetch", out: 1 }]), undefined, false);
    assert.equal(frame.durationMs, 3_000);
    assert.equal(frame.stages[0]!.outPerSecond, 0.33);
  });

  test("the first frame's rates are since the start of the run", () => {
    const first = metricsAt(500, [{ name: "fetch", out: 50 }]);
    assert.equal(wireFrame(first, undefined, false).stages[0]!.outPerSecond, 100);
  });

  test("two snapshots in the same millisecond give a rate of 0, not Infinity", () => {
    const a = metricsAt(2_000, [{ name: "fetch", out: 50 }]);
    const b = metricsAt(2_000, [{ name: "fetch", out: 60 }]);
    assert.equal(wireFrame(b, a, false).stages[0]!.outPerSecond, 0);
  });

  test("p50/p99 cover only the calls timed in the interval; null when there were none", () => {
    const processing = new LatencyRecorder();
    for (let i = 0; i < 100; i++) processing.record(1_000);
    const before = metricsAt(1_000, [{ name: "fetch", processing }]);
    for (let i = 0; i < 100; i++) processing.record(2);
    const after = metricsAt(2_000, [{ name: "fetch", processing }]);
    const stage = wireFrame(after, before, false).stages[0]!;
    // 2 ms falls in the bucket bounded by 2.048 ms; the earlier 1,000 ms calls are not in it.
    assert.equal(stage.p50Ms, 2.048);
    assert.equal(stage.p99Ms, 2.048);
    const idle = wireFrame(metricsAt(3_000, [{ name: "fetch", processing }]), after, false);
    assert.equal(idle.stages[0]!.p50Ms, null);
    assert.equal(idle.stages[0]!.p99Ms, null);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(idle)));
  });

  test("carries the run's outcome, pause, pulled items, in flight, limit and queue", () => {
    const metrics = metricsAt(
      1_000,
      [{ name: "fetch", in: 7, inFlight: 3, limit: 4, queueDepth: 9 }],
      { outcome: "completed", pulled: 7 },
    );
    const frame = wireFrame(metrics, undefined, true);
    assert.deepEqual(
      [frame.outcome, frame.paused, frame.pulled, frame.durationMs, frame.at],
      ["completed", true, 7, 1_000, metrics.at],
    );
    const stage = frame.stages[0]!;
    assert.deepEqual([stage.inFlight, stage.limit, stage.queueDepth], [3, 4, 9]);
  });
});

describe("wireStages", () => {
  test("only function stages are steerable", () => {
    const metrics = metricsAt(0, [
      { name: "fetch", kind: "map", concurrency: 8 },
      { name: "group", kind: "batch", concurrency: 1 },
      { name: "sink", kind: "forEach", concurrency: 1 },
    ]);
    assert.deepEqual(wireStages(metrics), [
      { name: "fetch", kind: "map", concurrency: 8, steerable: true },
      { name: "group", kind: "batch", concurrency: 1, steerable: false },
      { name: "sink", kind: "forEach", concurrency: 1, steerable: true },
    ]);
  });
});
