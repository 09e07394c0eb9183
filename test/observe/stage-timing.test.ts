import assert from "node:assert/strict";
import { describe, mock, test } from "node:test";
import type { StageContext } from "../../src/contract/types.js";
import { StageTiming } from "../../src/observe/stage-timing.js";

const ctx = { attempt: 1 } as StageContext;
const noArrival = { arrivedAt: 0 };

/** The mean of `n` gaps drawn now. */
function meanGap(timing: StageTiming, n = 4000): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += timing.nextGap();
  return sum / n;
}

describe("StageTiming", () => {
  test("gaps vary from 1 to 2 × sampleEvery − 1, with mean sampleEvery", () => {
    const timing = new StageTiming(16);
    const gaps = Array.from({ length: 10_000 }, () => timing.nextGap());
    assert.equal(Math.min(...gaps), 1);
    assert.equal(Math.max(...gaps), 31);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(Math.abs(mean - 16) < 0.5, `mean ${mean}`);
  });

  test("timed calls closer than 1 / maxSamplesPerSecond space the next ones out; slow ones bring the gap back", (t) => {
    let now = 1_000;
    t.mock.method(performance, "now", () => now);
    const timing = new StageTiming(4, 1_000); // at most one timed call per ms
    const timed = timing.timed((x: unknown) => x, noArrival);
    assert.ok(Math.abs(meanGap(timing) - 4) < 0.3);
    // Ten timed calls 0.1 ms apart: each doubles the mean gap.
    for (let i = 0; i < 10; i++) {
      now += 0.1;
      timed(i, ctx);
    }
    assert.ok(meanGap(timing) > 4 * 2 ** 8, `${meanGap(timing)}`);
    // Timed calls 10 ms apart: each halves it, down to sampleEvery and no further.
    for (let i = 0; i < 30; i++) {
      now += 10;
      timed(i, ctx);
    }
    assert.ok(Math.abs(meanGap(timing) - 4) < 0.3);
    assert.equal(timing.processing.count, 40);
    mock.restoreAll();
  });

  test("no cap: the gap stays sampleEvery however fast the calls come", (t) => {
    let now = 0;
    t.mock.method(performance, "now", () => (now += 0.0001));
    const timing = new StageTiming(8);
    const timed = timing.timed((x: unknown) => x, noArrival);
    for (let i = 0; i < 100; i++) timed(i, ctx);
    assert.ok(Math.abs(meanGap(timing) - 8) < 0.5);
  });

  test("times a sync call, a throwing one and an async one to their end; queue time on first attempts only", async (t) => {
    let now = 100;
    t.mock.method(performance, "now", () => now);
    const timing = new StageTiming(1);
    const arrival = { arrivedAt: 90 };
    const slow = timing.timed((x: unknown) => {
      now += 5;
      if (x === "throw") throw new Error("no");
      if (x === "async") {
        return new Promise((resolve) =>
          setImmediate(() => {
            now += 20;
            resolve(x);
          }),
        );
      }
      return x;
    }, arrival);
    assert.equal(slow("sync", ctx), "sync");
    assert.throws(() => slow("throw", ctx), /no/);
    assert.equal(await slow("async", ctx), "async");
    slow("retry", { attempt: 2 } as StageContext);
    assert.equal(timing.processing.count, 4);
    assert.equal(timing.processing.snapshot().maxMs, 25);
    assert.equal(timing.queue.count, 3);
  });

  test("wrap() times one call in sampleEvery on average and passes the rest straight through", () => {
    const timing = new StageTiming(10);
    let calls = 0;
    const wrapped = timing.wrap(() => ++calls, noArrival);
    for (let i = 0; i < 10_000; i++) wrapped(i, ctx);
    assert.equal(calls, 10_000);
    const timed = timing.processing.count;
    assert.ok(timed > 800 && timed < 1_200, `${timed} timed`);
  });
});
