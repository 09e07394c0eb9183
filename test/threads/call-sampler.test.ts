import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from } from "../../src/index.js";
import { CallSampler } from "../../src/threads/call-sampler.js";
import { thread } from "../../src/threads/index.js";
import { assertNoLeaks } from "../helpers/resources.js";

const fixture = (name: string) => new URL(`./fixtures/${name}.worker.js`, import.meta.url);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("CallSampler", () => {
  test("picks every call with sampleEvery 1, across batches of any size", () => {
    const sampler = new CallSampler(1);
    assert.deepEqual(sampler.pick(0, 5, 0, undefined), [0, 1, 2, 3, 4]);
    assert.deepEqual(sampler.pick(3, 2, 0, [0]), [0, 3, 4]);
    assert.equal(sampler.timing.queue.snapshot().count, 0);
  });

  test("picks about one call in sampleEvery, the same ones however the calls are batched", () => {
    const whole = new CallSampler(16).pick(0, 16_000, 0, undefined)!;
    assert.ok(whole.length > 800 && whole.length < 1_200, `${whole.length} picked`);
    const sampler = new CallSampler(16);
    const pieces: number[] = [];
    for (let from = 0; from < 16_000; from += 37) {
      const count = Math.min(37, 16_000 - from);
      for (const at of sampler.pick(0, count, 0, undefined) ?? []) pieces.push(from + at);
    }
    assert.deepEqual(pieces, whole);
  });

  test("records a queue time per picked call of a stamped chunk only, and the thread's times", () => {
    const sampler = new CallSampler(1);
    sampler.pick(0, 3, performance.now() - 5, undefined);
    sampler.pick(3, 2, 0, undefined);
    const queue = sampler.timing.queue.snapshot();
    assert.equal(queue.count, 3);
    assert.ok(queue.maxMs >= 4);
    sampler.record([0, 1.5, 2, 3.5]);
    const processing = sampler.timing.processing.snapshot();
    assert.equal(processing.count, 2);
    assert.ok(processing.sumMs >= 4.9 && processing.sumMs <= 5.1);
  });
});

describe("thread stages: metrics", () => {
  test("with sampleEvery 1, every call is timed on its thread; queue times come from stamped chunks", async () => {
    await assertNoLeaks(async () => {
      const run = from(range(40).map(() => 5))
        .map(thread(fixture("busy"), { threads: 2, batch: 4 }), { name: "spin" })
        .run({ metrics: { sampleEvery: 1 } });
      assert.equal((await run.collect()).length, 40);
      const metrics = run.metrics();
      assert.equal(metrics.sampleEvery, 1);
      const [stage] = metrics.stages;
      assert.equal(stage!.processingMs.count, 40);
      // Each call spins 5 ms on its thread (by Date.now(), so at least ~4 ms of the clock).
      assert.ok(stage!.processingMs.p50Ms >= 4, `p50 ${stage!.processingMs.p50Ms} ms`);
      assert.ok(stage!.processingMs.sumMs >= 40 * 4);
      // The input stamps one chunk in 16 (the first always): a time for each picked item of
      // a stamped chunk, none for the others.
      assert.ok(stage!.queueMs.count >= 1 && stage!.queueMs.count <= 40, `${stage!.queueMs.count}`);
      assert.ok(stage!.queueMs.maxMs >= 0);
    });
  });

  test("an async call is timed until it settles; a failed call is timed too", async () => {
    const run = from([10, 10, 10, 10])
      .map(thread(fixture("async"), { threads: 1, batch: 4 }))
      .run({ metrics: { sampleEvery: 1 } });
    await run.drain();
    const [stage] = run.metrics().stages;
    assert.equal(stage!.processingMs.count, 4);
    assert.ok(stage!.processingMs.p50Ms >= 9, `p50 ${stage!.processingMs.p50Ms} ms`);

    const failing = from([1, -1, 2, -2])
      .map(thread(fixture("double"), { threads: 1, batch: 4 }), { onError: "skip" })
      .run({ metrics: { sampleEvery: 1 } });
    await failing.drain();
    assert.equal(failing.metrics().stages[0]!.processingMs.count, 4);
  });

  test("about one call in sampleEvery is timed, across stages and batch sizes", async () => {
    const run = from(range(6_400))
      .map(thread(fixture("double"), { threads: 2 }), { name: "a" })
      .map(thread(fixture("double"), { threads: 2, batch: 3 }), { name: "b", ordered: true })
      .run({ metrics: { sampleEvery: 64 } });
    assert.equal((await run.collect()).length, 6_400);
    for (const stage of run.metrics().stages) {
      const count = stage.processingMs.count;
      assert.ok(count >= 50 && count <= 150, `${stage.name}: ${count} timed`);
      assert.ok(stage.queueMs.count >= 1 && stage.queueMs.count <= count, stage.name);
    }
  });

  test("a crashed call sent again is timed when it runs again; its queue time is taken once", async () => {
    const items = range(20).map((i) => ({
      value: i,
      crash: i === 7 ? ("once" as const) : undefined,
      attempts: new SharedArrayBuffer(4),
    }));
    const run = from(items)
      .map(thread(fixture("crash"), { threads: 1, batch: 20 }))
      .run({ metrics: { sampleEvery: 1 } });
    assert.equal((await run.collect()).length, 20);
    const [stage] = run.metrics().stages;
    // Items 0 to 6 ran before the crash, their results lost with the thread: 20 calls timed
    // on the fresh thread, none on the dead one.
    assert.equal(stage!.processingMs.count, 20);
    assert.ok(stage!.queueMs.count <= 20);
  });

  test("with metrics off, thread stages time nothing", async () => {
    const run = from(range(500))
      .map(thread(fixture("double"), { threads: 2 }))
      .run();
    await run.drain();
    const metrics = run.metrics();
    assert.equal(metrics.sampleEvery, 0);
    assert.equal(metrics.stages[0]!.processingMs.count, 0);
    assert.equal(metrics.stages[0]!.queueMs.count, 0);
  });
});
