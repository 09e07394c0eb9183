import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { from, type Limiter } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

/** A function stage's probe: how many calls are inside now, and the most seen. */
function insideProbe() {
  const probe = {
    inside: 0,
    max: 0,
    started: 0,
    enter() {
      probe.started++;
      if (++probe.inside > probe.max) probe.max = probe.inside;
    },
    leave() {
      probe.inside--;
    },
  };
  return probe;
}

/** A limiter whose limit the test sets; it records every sample. */
function scriptedLimiter(limit: number, max: number) {
  const samples: { latency: number; inFlight: number; dropped: boolean }[] = [];
  const limiter: Limiter & { limit: number; samples: typeof samples } = {
    limit,
    max,
    samples,
    onSample(latency, inFlight, dropped) {
      samples.push({ latency, inFlight, dropped });
    },
  };
  return limiter;
}

describe("run.pause() and run.resume()", () => {
  test("a paused run starts no item and reads no more of a sync source; in-flight calls finish", async () => {
    const probe = insideProbe();
    let pulled = 0;
    function* source() {
      for (let i = 0; i < 1_000; i++) {
        pulled++;
        yield i;
      }
    }
    const run = from(source())
      .map(
        async (x: number) => {
          probe.enter();
          await sleep(2);
          probe.leave();
          return x;
        },
        { concurrency: 8 },
      )
      .run();
    const collected = run.collect();
    await sleep(10);
    run.pause();
    assert.equal(run.paused, true);
    const startedAtPause = probe.started;
    const pulledAtPause = pulled;
    await sleep(30);
    assert.equal(probe.inside, 0, "the calls that were inside finished");
    assert.equal(probe.started, startedAtPause, "no call started while paused");
    assert.ok(pulled - pulledAtPause <= 0, "the source was not read while paused");
    run.resume();
    assert.equal(run.paused, false);
    const out = await collected;
    assert.equal(out.length, 1_000);
    assert.ok(probe.max <= 8);
    assertConserved(await run.settled);
  });

  test("pausing before the run starts holds it at its first item; resume lets it run", async () => {
    let calls = 0;
    const run = from([1, 2, 3])
      .map((x: number) => {
        calls++;
        return x * 2;
      })
      .run();
    run.pause();
    const collected = run.collect();
    await sleep(10);
    assert.equal(calls, 0);
    run.resume();
    assert.deepEqual((await collected).sort(), [2, 4, 6]);
  });

  test("a paused run pauses batch stages and sync bursts too, and cancelling it settles it", async () => {
    let seen = 0;
    const run = from(Array.from({ length: 10_000 }, (_, i) => i))
      .batch({ size: 10 })
      .forEach(() => {
        seen++;
      })
      .run();
    run.pause();
    const drained = run.drain().catch((error: unknown) => error);
    await sleep(5);
    assert.equal(seen, 0);
    const summary = await run.cancel(new Error("stop"));
    assert.equal(summary.outcome, "cancelled");
    assert.ok((await drained) instanceof Error);
    assertConserved(summary);
  });

  test("pause and resume do nothing twice, and nothing to a settled run", async () => {
    const run = from([1]).run();
    await run.collect();
    run.pause();
    assert.equal(run.paused, false);
    run.resume();
  });
});

describe("run.finish()", () => {
  test("stops reading the source; what was read goes through every stage and the run completes", async () => {
    let read = 0;
    let closed = false;
    async function* endless() {
      try {
        for (let i = 0; ; i++) {
          read++;
          yield i;
          await nextTurn();
        }
      } finally {
        closed = true;
      }
    }
    const seen: number[] = [];
    const run = from(endless)
      .map(async (x: number) => {
        await sleep(1);
        return x * 2;
      })
      .forEach((x: number) => {
        seen.push(x);
      })
      .run();
    const done = run.drain();
    while (seen.length < 20) await sleep(1);
    run.finish();
    run.finish(); // once is enough; again does nothing
    const summary = await done;
    assert.equal(summary.outcome, "completed");
    assert.ok(closed, "the source's iterator was closed");
    assert.equal(summary.pulled, summary.stages[1]!.out);
    assert.equal(seen.length, summary.pulled);
    assert.ok(read >= summary.pulled);
    assertConserved(summary);
  });

  test("what the source had read ahead when finish() came still goes through: nothing is discarded", async () => {
    async function* quick(): AsyncGenerator<number> {
      // A turn between some items: at finish() a partial chunk is staged, or a read is under way.
      for (let i = 0; i < 10_000; i++) {
        yield i;
        if (i % 3 === 0) await nextTurn();
      }
    }
    for (let round = 0; round < 20; round++) {
      const seen: number[] = [];
      const run = from(quick, { buffer: 32 })
        .forEach((x: number) => {
          seen.push(x);
          if (seen.length === 1 + round) run.finish();
        })
        .run();
      const summary = await run.drain();
      assert.equal(summary.outcome, "completed");
      assert.equal(summary.stages[0]!.discarded, 0, `round ${round}: nothing read is dropped`);
      assert.equal(seen.length, summary.pulled);
      assertConserved(summary);
    }
  });

  test("before the run starts, it completes without reading on; after it settled, nothing happens", async () => {
    const run = from([1, 2, 3]).run();
    run.finish();
    const summary = await run;
    assert.equal(summary.outcome, "completed");
    assert.ok(summary.pulled <= 3);
    run.finish();
    assert.equal((await run.settled).outcome, "completed");
  });
});

describe("run.setConcurrency()", () => {
  test("a lower width starts nothing more than it allows; a higher one starts more at once", async () => {
    const probe = insideProbe();
    const seen: number[] = [];
    const run = from(Array.from({ length: 300 }, (_, i) => i))
      .map(
        async (x: number) => {
          probe.enter();
          seen.push(probe.inside);
          await sleep(1);
          probe.leave();
          return x;
        },
        { concurrency: 8, name: "fetch" },
      )
      .run();
    const collected = run.collect();
    await sleep(10);
    run.setConcurrency("fetch", 2);
    assert.equal(run.stats().stages[0]!.limit, 2);
    assert.equal(
      run.stats().stages[0]!.concurrency,
      8,
      "concurrency is the width it was built with",
    );
    // The 8 inside drain; from then on, at most 2 at once.
    while (probe.inside > 2) await sleep(1);
    const from2 = seen.length;
    await sleep(20);
    assert.ok(
      seen.slice(from2).every((n) => n <= 2),
      `inside after lowering: ${seen.slice(from2)}`,
    );
    run.setConcurrency("fetch", 20);
    await collected;
    assert.ok(probe.max > 8 && probe.max <= 20, `most inside: ${probe.max}`);
    assert.equal((await run.settled).stages[0]!.limit, 20);
  });

  test("a width set before the run starts is the width it starts with", async () => {
    const probe = insideProbe();
    const run = from(Array.from({ length: 50 }, (_, i) => i))
      .forEach(
        async () => {
          probe.enter();
          await nextTurn();
          probe.leave();
        },
        { concurrency: 10 },
      )
      .run();
    run.setConcurrency("forEach#1", 3);
    // The width shows in stats (and metrics) before the run starts too.
    assert.equal(run.stats().stages[0]!.limit, 3);
    assert.equal(run.stats().stages[0]!.concurrency, 10);
    await run;
    assert.equal(probe.max, 3);
  });

  test("names the problem: unknown stage, not a function stage, a limiter's stage, a bad width", () => {
    const run = from([1, 2])
      .map((x: number) => x, { name: "a" })
      .batch({ size: 2, name: "b" })
      .map((x) => x, { concurrency: scriptedLimiter(1, 4), name: "c" })
      .run();
    assertInvalid(
      () => run.setConcurrency("nope", 2),
      'Expected `run.setConcurrency(stageName)` to be the name of one of the pipeline\'s stages (a, b, c), got `"nope"` (string)',
      "run.setConcurrency(stageName)",
    );
    assertInvalid(
      () => run.setConcurrency("b", 2),
      'Expected `run.setConcurrency(stageName)` to be the name of a map, filter, flatMap, tap or forEach stage, got `"b"` (string)',
      "run.setConcurrency(stageName)",
    );
    assertInvalid(
      () => run.setConcurrency("c", 2),
      "Stage \"c\" has an adaptive limiter as its `concurrency`: its width is the limiter's to set, not run.setConcurrency()'s",
      "run.setConcurrency(stageName)",
    );
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assertInvalid(
        () => run.setConcurrency("a", bad),
        `Expected \`run.setConcurrency(concurrency)\` to be an integer >= 1, got \`${bad}\` (number)`,
        "run.setConcurrency(concurrency)",
      );
    }
    void run.cancel();
  });
});

describe("a limiter as a stage's concurrency", () => {
  test("gates dispatch: a call starts only while fewer than the current limit are inside", async () => {
    const limiter = scriptedLimiter(6, 12);
    const probe = insideProbe();
    const over: string[] = [];
    let done = 0;
    const out = await from(Array.from({ length: 400 }, (_, i) => i))
      .map(
        async (x: number) => {
          probe.enter();
          if (probe.inside > Math.floor(limiter.limit)) {
            over.push(`${probe.inside} inside under limit ${limiter.limit}`);
          }
          await sleep(x % 3);
          probe.leave();
          // The limit moves as calls finish: down to 2, then up to 12.
          done++;
          if (done === 100) limiter.limit = 2;
          if (done === 250) limiter.limit = 12.7;
          return x;
        },
        { concurrency: limiter },
      )
      .run()
      .collect();
    assert.equal(out.length, 400);
    // Calls already inside when the limit fell may finish above it; none starts above it.
    assert.deepEqual(over, []);
    assert.equal(probe.max, 12);
    assert.equal(limiter.samples.length, 400, "every async call is reported");
    assert.ok(limiter.samples.every((s) => !s.dropped && s.inFlight >= 1 && s.inFlight <= 12));
    assert.ok(
      limiter.samples.some((s) => s.latency >= 0),
      "calls of a millisecond or more are timed",
    );
  });

  test("failed calls are reported as dropped, and the summary shows the limit", async () => {
    const limiter = scriptedLimiter(3, 5);
    const run = from([1, 2, 3, 4])
      .map(
        async (x: number) => {
          await nextTurn();
          if (x % 2 === 0) throw new Error("no");
          return x;
        },
        { concurrency: limiter, onError: "skip" },
      )
      .run();
    await run.collect();
    assert.deepEqual(limiter.samples.map((s) => s.dropped).sort(), [false, false, true, true]);
    const stage = (await run.settled).stages[0]!;
    assert.equal(stage.limit, 3);
    assert.equal(stage.concurrency, 5, "a limiter's stage is built for its max");
  });

  test("bad limiters are refused when the stage is built, naming the option", () => {
    assertInvalid(
      () => from([1]).map((x) => x, { concurrency: {} as never }),
      'Expected `map.concurrency` to be an integer >= 1, "cpus", or a limiter (aimd(), gradient(), or an object with `limit`, `max` and `onSample()`), got `{}` (object)',
      "map.concurrency",
    );
    assertInvalid(
      () => from([1]).map((x) => x, { concurrency: scriptedLimiter(1, 0) }),
      "Expected `map.concurrency.max` to be an integer >= 1, got `0` (number)",
      "map.concurrency.max",
    );
    assertInvalid(
      () => from([1]).map((x) => x, { concurrency: scriptedLimiter(Number.NaN, 4) }),
      "Expected `map.concurrency.limit` to be a number >= 1, got `NaN` (number)",
      "map.concurrency.limit",
    );
    assert.throws(
      () =>
        from([1]).map(thread(new URL("../threads/fixtures/double.worker.js", import.meta.url)), {
          concurrency: scriptedLimiter(1, 4),
        }),
      /takes a number or "cpus" on a thread stage, got a limiter/,
    );
  });
});

describe("run control on a thread stage", () => {
  test("pause holds its batches back; setConcurrency narrows it; resume finishes the run", async () => {
    const run = from(Array.from({ length: 200 }, (_, i) => i))
      .map(thread(new URL("../threads/fixtures/double.worker.js", import.meta.url)), {
        name: "double",
        ordered: true,
      })
      .run();
    run.pause();
    run.setConcurrency("double", 3);
    const collected = run.collect();
    await sleep(50);
    assert.equal(run.stats().stages[0]!.threads?.batches, 0, "no batch went while paused");
    run.resume();
    const out = await collected;
    assert.deepEqual(
      out,
      Array.from({ length: 200 }, (_, i) => i * 2),
    );
    const stage = (await run.settled).stages[0]!;
    assert.equal(stage.limit, 3);
    assert.ok(stage.maxInFlight <= 3, `at most 3 items in flight, saw ${stage.maxInFlight}`);
  });
});
