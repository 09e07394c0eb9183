import assert from "node:assert/strict";
import { describe, mock, test } from "node:test";
import { setImmediate as realImmediate } from "node:timers";
import {
  CancelledError,
  from,
  isStageError,
  isTuneTrialError,
  type TuneResult,
  type TuneRow,
  tune,
} from "../../src/index.js";
import { simulatedService } from "./fixtures/simulated-service.js";

const range = (length: number): number[] => Array.from({ length }, (_, i) => i);

/** Trial and call durations read from the fake clock. */
const fakeClock = { now: () => Date.now() };

/**
 * Runs `start` on fake time (setTimeout and Date), advancing it 1 ms at a time with real
 * turns of the event loop between, until it settles: the tune results are then the same on
 * every machine, however loaded.
 */
async function onFakeTime<T>(start: () => Promise<T>): Promise<T> {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
  try {
    let settled = false;
    const outcome = start().finally(() => {
      settled = true;
    });
    outcome.catch(() => {});
    while (!settled) {
      await new Promise<void>((resolve) => realImmediate(resolve));
      await new Promise<void>((resolve) => realImmediate(resolve));
      mock.timers.tick(1);
    }
    return await outcome;
  } finally {
    mock.timers.reset();
  }
}

/** The estimate as TuneResult documents it, from the result's own numbers. */
function expectedEstimate(result: TuneResult): number {
  return Math.max(1, Math.ceil((result.rate * result.rows[0]!.meanMs) / 1000 / result.utilisation));
}

describe("tune()", () => {
  test("finds the knee of a service that serves 8 calls at once, and stops on the plateau", async () => {
    // 8 servers × 5 ms: throughput doubles with the width up to 8, then stays flat while
    // latency grows. Fake time, so the search sees exactly that.
    const pipeline = from(range(64)).map(simulatedService({ capacity: 8, serviceMs: 5 }), {
      name: "call",
    });
    const result = await onFakeTime(() => tune(pipeline, { sample: 64, clock: fakeClock }));
    const widths = result.rows.map((row) => row.concurrency);
    assert.deepEqual(widths.slice(0, 5), [1, 2, 4, 8, 16]);
    assert.deepEqual(
      widths,
      widths.map((_, i) => 2 ** i),
    );
    assert.equal(result.stoppedBecause, "plateau");
    assert.ok(
      result.knee !== undefined && result.knee >= 8 && result.knee <= 16,
      `knee ${result.knee}`,
    );
    assert.equal(result.stage, "call");
    assert.equal(result.sample, 64);
    assert.equal(result.utilisation, 0.8);
    assert.equal(result.slo, undefined);
    assert.equal(result.rate, Math.max(...result.rows.map((row) => row.itemsPerSecond)));
    assert.equal(result.estimate, expectedEstimate(result));
    // Little's law: 8 calls in flight keep 8 servers busy; with 20% headroom about 10.
    assert.ok(result.estimate >= 8 && result.estimate <= 16, `estimate ${result.estimate}`);
    for (const row of result.rows) {
      assert.ok(row.p50Ms >= 4 && row.p50Ms <= row.p99Ms, JSON.stringify(row));
      assert.ok(row.meanMs >= 4, JSON.stringify(row));
      assert.ok(row.durationMs > 0 && row.itemsPerSecond > 0, JSON.stringify(row));
    }
    // At width 16 half the calls queue behind a busy server: latency doubles, throughput not.
    const wide = result.rows[4]!;
    assert.ok(wide.p99Ms > 8, `p99 at 16: ${wide.p99Ms}`);
  });

  test("stops when p99 passes the SLO, and the knee is the width before", async () => {
    // 2 servers × 20 ms: width 4 queues half the calls for a whole service time, so its p99
    // is at least 40 ms, while widths 1 and 2 stay near 20 ms.
    const pipeline = from(range(16)).map(simulatedService({ capacity: 2, serviceMs: 20 }), {
      name: "call",
    });
    const result = await onFakeTime(() =>
      tune(pipeline, { sample: 16, slo: "35ms", clock: fakeClock }),
    );
    assert.deepEqual(
      result.rows.map((row) => row.concurrency),
      [1, 2, 4],
    );
    assert.equal(result.stoppedBecause, "slo");
    assert.equal(result.knee, 2);
    assert.equal(result.slo, 35);
    assert.ok(result.rows[2]!.p99Ms > 35);
    // The rate is the best that met the SLO: the trial that broke it does not count.
    assert.equal(
      result.rate,
      Math.max(result.rows[0]!.itemsPerSecond, result.rows[1]!.itemsPerSecond),
    );
    assert.equal(result.estimate, expectedEstimate(result));
  });

  test("calls a factory once per trial, so a generator source works", async () => {
    let built = 0;
    const result = await onFakeTime(() =>
      tune(
        () => {
          built++;
          function* numbers(): Generator<number> {
            for (let i = 0; ; i++) yield i;
          }
          return from(numbers()).forEach(simulatedService({ capacity: 100, serviceMs: 10 }));
        },
        // 12 items: 3 rounds of calls at width 4, 2 at width 6, a gain far above 5%.
        { sample: 12, max: 6, clock: fakeClock },
      ),
    );
    assert.equal(built, result.rows.length);
    assert.equal(result.stage, "forEach#1");
    // Widths double up to max, then max itself; every trial still gains, so max stops it.
    assert.deepEqual(
      result.rows.map((row) => row.concurrency),
      [1, 2, 4, 6],
    );
    assert.equal(result.stoppedBecause, "max");
    assert.equal(result.knee, 6);
  });

  test("accepts an async factory and tunes the named stage of several", async () => {
    const result = await tune(
      async () =>
        from(range(8))
          .map((n) => n + 1, { name: "cheap" })
          .map(simulatedService({ capacity: 100, serviceMs: 2 }), { name: "slow" }),
      { stage: "slow", sample: 8, max: 2 },
    );
    assert.equal(result.stage, "slow");
    assert.deepEqual(
      result.rows.map((row) => row.concurrency),
      [1, 2],
    );
  });

  test("uses the rate and utilisation given for the estimate", async () => {
    const result = await tune(
      from(range(100)).map((n) => n * 2),
      {
        sample: 100,
        max: 1,
        rate: 50_000,
        utilisation: 0.5,
      },
    );
    assert.equal(result.rate, 50_000);
    assert.equal(result.utilisation, 0.5);
    assert.equal(result.stoppedBecause, "max");
    assert.equal(result.estimate, expectedEstimate(result));
  });

  test("times sync calls and calls that throw, and reports each trial to onTrial in order", async () => {
    const seen: TuneRow[] = [];
    const result = await tune(
      from(range(50)).map(
        (n) => {
          if (n % 10 === 0) throw new Error(`bad ${n}`);
          return n;
        },
        { onError: "skip" },
      ),
      { sample: 50, max: 4, onTrial: (row) => seen.push(row) },
    );
    assert.deepEqual(seen, result.rows);
    assert.ok(result.rows.length >= 2);
    for (const row of result.rows) assert.ok(Number.isFinite(row.p99Ms) && row.p99Ms >= 0);
  });

  test("a failed trial rejects with a TuneTrialError naming the width, the run's error as cause", async () => {
    const pipeline = from(range(10)).map(
      (n) => {
        if (n === 3) throw new Error("boom");
        return n;
      },
      { name: "fragile" },
    );
    await assert.rejects(tune(pipeline, { sample: 10 }), (error: unknown) => {
      assert.ok(isTuneTrialError(error));
      assert.equal(error.code, "ERR_SLUICE_TUNE_TRIAL_FAILED");
      assert.equal(error.stage, "fragile");
      assert.equal(error.concurrency, 1);
      assert.ok(isStageError(error.cause));
      assert.match(error.message, /^Tuning stage "fragile": the trial at concurrency 1 failed: /);
      assert.match(error.message, /boom/);
      return true;
    });
  });

  test("a one-shot source in a pipeline object fails the second trial, saying what to do", async () => {
    function* numbers(): Generator<number> {
      for (let i = 0; i < 4; i++) yield i;
    }
    const pipeline = from(numbers()).map((n) => n);
    await assert.rejects(tune(pipeline, { sample: 4 }), (error: unknown) => {
      assert.ok(isTuneTrialError(error));
      assert.equal(error.concurrency, 2);
      assert.match(error.message, /re-iterable .* pass a function that returns a fresh one/);
      return true;
    });
  });

  test("an empty source rejects: the stage took no item", async () => {
    await assert.rejects(
      tune(
        from([] as number[]).map((n) => n),
        { sample: 5 },
      ),
      {
        name: "TuneTrialError",
        message:
          'Tuning stage "map#1": the trial at concurrency 1 failed: the stage took no item (is the source empty, or a one-shot source such as a generator that an earlier trial read? pass a function that builds the pipeline afresh)',
      },
    );
  });

  test("aborting the signal rejects with the run's CancelledError", async () => {
    const controller = new AbortController();
    const pipeline = from(range(1000)).map(simulatedService({ capacity: 1, serviceMs: 5 }));
    const tuning = tune(pipeline, { signal: controller.signal, sample: 1000 });
    setTimeout(() => controller.abort(new Error("enough")), 20);
    await assert.rejects(tuning, (error: unknown) => error instanceof CancelledError);
  });

  test("tunes a pipeline that ends in forEach (a Sink) as it is", async () => {
    let calls = 0;
    const sink = from(range(20)).forEach(() => {
      calls++;
    });
    const result = await tune(sink, { sample: 20, max: 2 });
    assert.equal(result.stage, "forEach#1");
    assert.equal(calls, 20 * result.rows.length);
  });
});
