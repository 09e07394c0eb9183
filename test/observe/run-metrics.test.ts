import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { from, type RunMetrics, StageError } from "../../src/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { assertNoLeaks } from "../helpers/resources.js";
import { describeValue } from "../../src/internal/describe-value.js";
import { StageTiming } from "../../src/observe/stage-timing.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class Gate {
  open!: () => void;
  readonly opened = new Promise<void>((resolve) => {
    this.open = resolve;
  });
}

describe("run.metrics()", () => {
  test("reports the summary's own counters, failures by class and, with metrics off, empty histograms", async () => {
    class QuotaError extends Error {}
    const run = from(range(100))
      .map(
        (x: number) => {
          if (x % 10 === 1) throw new TypeError(`bad ${x}`);
          if (x % 10 === 2) throw new QuotaError(`quota ${x}`);
          if (x === 3) throw "a string";
          return x;
        },
        { onError: "skip", name: "check" },
      )
      .run();
    await run.drain();
    const summary = await run.settled;
    const metrics = run.metrics();
    const [stage] = metrics.stages;
    assert.deepEqual(stage!.failedBy, { TypeError: 10, QuotaError: 10, string: 1 });
    assert.equal(stage!.failed, 21);
    // The summary of a stage with failures names them by class too.
    const { queueDepth, processingMs, queueMs, ...stats } = stage!;
    assert.deepEqual(stats, summary.stages[0]);
    assert.equal(queueDepth, 0);
    assert.equal(processingMs.count, 0);
    assert.equal(queueMs.count, 0);
    assert.equal(metrics.sampleEvery, 0);
    assert.equal(metrics.eventLoopDelay, undefined);
    assert.equal(metrics.outcome, "completed");
    assert.equal(metrics.pulled, 100);
    assert.ok(metrics.rssBytes > 0 && metrics.heapUsedBytes > 0);
    assert.ok(Number.isInteger(metrics.activeResources));
  });

  test("with metrics on, one call in sampleEvery is timed, for processing and for queue time", async () => {
    const run = from(range(100))
      .map((x: number) => x + 1, { name: "sync" })
      .map(async (x: number) => x * 2, { name: "async" })
      .run({ metrics: { sampleEvery: 10 } });
    assert.equal((await run.collect()).length, 100);
    const metrics = run.metrics();
    assert.equal(metrics.sampleEvery, 10);
    for (const stage of metrics.stages) {
      // One in 10 on average: the gaps between timed calls vary from 1 to 19.
      assert.ok(stage.processingMs.count >= 5 && stage.processingMs.count <= 20, stage.name);
      // Queue times come from sampled calls whose chunk was stamped (the first always is).
      assert.ok(stage.queueMs.count >= 1 && stage.queueMs.count <= 10, stage.name);
      assert.ok(stage.processingMs.sumMs >= 0 && stage.processingMs.maxMs >= 0);
      assert.ok(stage.queueMs.p99Ms >= 0);
    }
    assert.ok(metrics.eventLoopDelay !== undefined);
    assert.ok(metrics.eventLoopDelay.maxMs >= 0);
  });

  test("an async stage times exactly the calls its gaps pick, whether a slot or the dispatcher starts them", async () => {
    // The first call is timed, then the gaps, drawn from a fixed seed, pick the next ones:
    // the calls timed over n calls are known in advance.
    const n = 2_000;
    const gaps = new StageTiming(8);
    let expected = 0;
    for (let call = 1; call <= n; call += gaps.nextGap()) expected++;
    for (const concurrency of [1, 4, 16]) {
      const run = from(range(n))
        .map(async (x: number) => x, { concurrency })
        .run({ metrics: { sampleEvery: 8, maxSamplesPerSecond: Infinity } });
      assert.equal((await run.collect()).length, n);
      const [stage] = run.metrics().stages;
      assert.equal(stage!.processingMs.count, expected, `concurrency ${concurrency}`);
    }
  });

  test("metrics: true times one call in 64; a retried item's queue time is taken once", async () => {
    let calls = 0;
    const run = from(range(256))
      .map(
        (x: number, ctx) => {
          calls++;
          if (ctx.attempt === 1) throw new Error("flaky");
          return x;
        },
        { retry: { attempts: 2, backoff: 1 } },
      )
      .run({ metrics: true });
    await run.drain();
    const [stage] = run.metrics().stages;
    assert.equal(calls, 512);
    assert.equal(stage!.retried, 256);
    assert.ok(stage!.processingMs.count >= 3 && stage!.processingMs.count <= 16, "512 calls / ~64");
    assert.ok(stage!.queueMs.count <= 8 && stage!.queueMs.count >= 1);
  });

  test("periodic slow calls show in p99 whatever the sampling rate (the timed calls are not periodic)", async () => {
    for (const sampleEvery of [4, 20, 64]) {
      const run = from(range(4_000))
        .map(
          (x: number) =>
            x % 20 === 7 ? new Promise<number>((resolve) => setTimeout(resolve, 3, x)) : x,
          { concurrency: 64 },
        )
        .run({ metrics: { sampleEvery, maxSamplesPerSecond: Infinity } });
      await run.drain();
      const { processingMs } = run.metrics().stages[0]!;
      assert.ok(processingMs.p99Ms >= 2, `1 in ${sampleEvery}: p99 ${processingMs.p99Ms} ms`);
      assert.ok(processingMs.p50Ms < 1, `1 in ${sampleEvery}: p50 ${processingMs.p50Ms} ms`);
    }
  });

  test("queue time counts from the chunk's arrival at the stage to its call", async () => {
    const gate = new Gate();
    const run = from(range(40))
      .map((x: number) => x, { name: "fast" })
      .map(
        async (x: number) => {
          if (x === 0) await gate.opened;
          return x;
        },
        { concurrency: 1, name: "slow" },
      )
      .run({ metrics: { sampleEvery: 1 } });
    const done = run.collect();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const waiting = run.metrics().stages[1]!;
    assert.ok(waiting.queueDepth > 0, "items wait at the slow stage's input");
    assert.ok(waiting.queueDepth <= 39);
    gate.open();
    await done;
    const slow = run.metrics().stages[1]!;
    assert.ok(slow.queueMs.count >= 1 && slow.queueMs.count <= 40);
    // Item 1 waited behind item 0 for ~30 ms; the clock's own granularity aside.
    assert.ok(slow.queueMs.maxMs >= 20, `max queue time ${slow.queueMs.maxMs} ms`);
    assert.equal(slow.queueDepth, 0);
  });

  test("a flatMap reports queue time only", async () => {
    const run = from(range(8))
      .flatMap((x: number) => [x, x])
      .run({ metrics: { sampleEvery: 1 } });
    assert.equal((await run.collect()).length, 16);
    const [stage] = run.metrics().stages;
    assert.equal(stage!.processingMs.count, 0);
    assert.ok(stage!.queueMs.count >= 1 && stage!.queueMs.count <= 8);
  });

  test("before the run starts: counters at zero, no histogram", () => {
    const run = from([1, 2])
      .map((x: number) => x)
      .run({ metrics: true });
    const metrics = run.metrics();
    assert.equal(metrics.outcome, "running");
    assert.equal(metrics.stages.length, 1);
    assert.equal(metrics.stages[0]!.in, 0);
    assert.deepEqual(metrics.stages[0]!.failedBy, {});
    void run.cancel();
  });

  test("metrics leave no timer, handle or monitor behind", async () => {
    await assertNoLeaks(async () => {
      const run = from(range(50))
        .map(async (x: number) => x, { concurrency: 4 })
        .run({ metrics: true });
      run.onMetrics(() => {}, { every: 1 });
      await run.drain();
    });
  });
});

describe("run.onMetrics()", () => {
  test("streams snapshots while the run goes and a final one when it settles", async () => {
    const seen: RunMetrics[] = [];
    const run = from(range(20))
      .map(
        async (x: number) => {
          await new Promise((resolve) => setTimeout(resolve, 2));
          return x;
        },
        { concurrency: 1 },
      )
      .run();
    run.onMetrics((metrics) => seen.push(metrics), { every: 5 });
    await run.drain();
    const summary = await run.settled;
    const last = seen.at(-1)!;
    assert.equal(last.outcome, "completed");
    assert.equal(last.stages[0]!.out, summary.stages[0]!.out);
    assert.ok(seen.length >= 2, `${seen.length} snapshots`);
    assert.ok(seen.slice(0, -1).every((m) => m.outcome === "running"));
    // Subscribed before the start: latencies are recorded (the first call always is).
    assert.equal(last.sampleEvery, 64);
    assert.ok(last.stages[0]!.processingMs.count >= 1);
    await tick();
    assert.equal(seen.length, seen.indexOf(last) + 1, "nothing after the final snapshot");
  });

  test("unsubscribing stops the snapshots, the final one included", async () => {
    let calls = 0;
    const gate = new Gate();
    const run = from([1])
      .map(async (x: number) => {
        await gate.opened;
        return x;
      })
      .run();
    const stop = run.onMetrics(() => calls++, { every: "1ms" });
    const done = run.drain();
    await new Promise((resolve) => setTimeout(resolve, 10));
    stop();
    const before = calls;
    gate.open();
    await done;
    await tick();
    assert.equal(calls, before);
  });

  test("a listener that throws fails the run", async () => {
    const run = from(range(1000))
      .map(async (x: number) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return x;
      })
      .run();
    const boom = new Error("listener broke");
    run.onMetrics(
      () => {
        throw boom;
      },
      { every: 2 },
    );
    await assert.rejects(run.drain(), (error) => error === boom);
    assert.equal((await run.settled).outcome, "failed");
  });

  test("on a settled run the listener hears the final metrics once", async () => {
    const run = from([1, 2, 3])
      .map((x: number) => x)
      .run();
    await run.drain();
    const seen: RunMetrics[] = [];
    run.onMetrics((metrics) => seen.push(metrics));
    await tick();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.outcome, "completed");
    assert.equal(seen[0]!.stages[0]!.out, 3);
  });

  test("a failed run's metrics name the failure's class", async () => {
    const run = from([1, 2])
      .map((x: number) => {
        if (x === 2) throw new RangeError("out");
        return x;
      })
      .run();
    await assert.rejects(run.drain(), StageError);
    assert.deepEqual(run.metrics().stages[0]!.failedBy, { RangeError: 1 });
  });
});

describe("metrics options", () => {
  const duration = 'a duration > 0 ms (a number of ms or a string such as "100ms", "30s")';

  test("run({ metrics }) takes a boolean or { sampleEvery: integer >= 1, maxSamplesPerSecond: > 0 }", () => {
    const p = from([1]).map((x: number) => x);
    assertInvalid(
      () => p.run({ metrics: 1 as never }),
      "Expected `run.metrics` to be a boolean or an object such as { sampleEvery: 64 }, got `1` (number)",
      "run.metrics",
    );
    assertInvalid(
      () => p.run({ metrics: { sampleEvery: 0 } }),
      "Expected `run.metrics.sampleEvery` to be an integer >= 1, got `0` (number)",
      "run.metrics.sampleEvery",
    );
    assertInvalid(
      () => p.run({ metrics: { sampleEvry: 4 } as never }),
      "Unknown option `run.metrics.sampleEvry`; did you mean `sampleEvery`? Known options: sampleEvery, maxSamplesPerSecond",
      "run.metrics.sampleEvry",
    );
    for (const bad of [0, -1, Number.NaN, "10k"]) {
      assertInvalid(
        () => p.run({ metrics: { maxSamplesPerSecond: bad as number } }),
        `Expected \`run.metrics.maxSamplesPerSecond\` to be a number > 0 (or Infinity), got ${describeValue(bad)}`,
        "run.metrics.maxSamplesPerSecond",
      );
    }
  });

  test("onMetrics takes a function and { every: a duration > 0 }", async () => {
    const run = from([1])
      .map((x: number) => x)
      .run();
    assertInvalid(
      () => run.onMetrics("no" as never),
      'Expected `run.onMetrics(listener)` to be a function, got `"no"` (string)',
      "run.onMetrics(listener)",
    );
    assertInvalid(
      () => run.onMetrics(() => {}, { every: 0 }),
      `Expected \`run.onMetrics.every\` to be ${duration}, got \`0\` (number)`,
      "run.onMetrics.every",
    );
    assertInvalid(
      () => run.onMetrics(() => {}, { every: "soon" as never }),
      `Expected \`run.onMetrics.every\` to be ${duration}, got \`"soon"\` (string)`,
      "run.onMetrics.every",
    );
    assertInvalid(
      () => run.onMetrics(() => {}, { evry: 5 } as never),
      "Unknown option `run.onMetrics.evry`; did you mean `every`? Known options: every",
      "run.onMetrics.evry",
    );
    await run.drain();
  });
});
