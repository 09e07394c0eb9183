import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type CallSpan, type CallTracer, from, isWorkerCrashedError } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { type RecordedCall as Recorded, recordingTracer } from "../helpers/recording-tracer.js";
import { assertNoLeaks } from "../helpers/resources.js";

const fixture = (name: string) => new URL(`./fixtures/${name}.worker.js`, import.meta.url);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Every started span ended exactly once. */
function assertEveryEndedOnce(calls: readonly Recorded[]): void {
  const open = calls.filter((call) => call.ends !== 1);
  assert.deepEqual(
    open.map((call) => [call.call.index, call.call.attempt, call.ends]),
    [],
    "spans not ended exactly once",
  );
}

const crashItem = (value: number, crash?: "once" | "always") => ({
  value,
  crash,
  attempts: new SharedArrayBuffer(4),
});

describe("thread stages: tracing", () => {
  test("tells the tracer the stage runs on threads, and starts one span per item with its index, slot and worker threadId", async () => {
    await assertNoLeaks(async () => {
      const { tracer, stages, calls } = recordingTracer();
      const run = from(range(300))
        .map(thread(fixture("state"), { threads: 2, batch: 8 }), { name: "tag", ordered: true })
        .run({ trace: tracer });
      const values = (await run.collect()) as { x: number; thread: number; slot: number }[];
      assertConserved(await run.settled);
      assert.deepEqual(
        stages.map(({ name, position, kind, threads }) => ({ name, position, kind, threads })),
        [{ name: "tag", position: 0, kind: "map", threads: true }],
      );
      assert.equal(calls.length, 300);
      assertEveryEndedOnce(calls);
      assert.deepEqual(
        calls.map((call) => call.call.index).sort((a, b) => a - b),
        range(300),
      );
      for (const call of calls) {
        const value = values[call.call.index]!;
        assert.equal(call.outcome, "ok");
        // The span ends with the call's own result, and names the thread that ran it.
        assert.deepEqual(call.value, value);
        assert.equal(call.item, value.x);
        assert.equal(call.call.attempt, 1);
        assert.ok(Number.isInteger(call.call.threadId) && call.call.threadId! > 0);
        assert.equal(call.call.threadId, value.thread);
        assert.equal(call.call.slot, value.slot);
      }
      assert.equal(new Set(calls.map((call) => call.call.threadId)).size, 2);
    });
  });

  test("a call that throws ends its span as failed with the worker's error; the others end ok", async () => {
    const { tracer, calls } = recordingTracer();
    const run = from([1, -2, 3, -4, 5])
      .map(thread(fixture("double"), { threads: 1, batch: 5 }), { onError: "skip" })
      .run({ trace: tracer });
    assert.deepEqual(((await run.collect()) as number[]).sort(), [10, 2, 6]);
    assertEveryEndedOnce(calls);
    const byItem = new Map(calls.map((call) => [call.item, call]));
    for (const item of [1, 3, 5]) {
      assert.equal(byItem.get(item)!.outcome, "ok");
      assert.equal(byItem.get(item)!.value, (item as number) * 2);
    }
    for (const item of [-2, -4]) {
      const error = byItem.get(item)!.value as Error & { code?: string };
      assert.equal(byItem.get(item)!.outcome, "failed");
      assert.equal(error.name, "RangeError");
      assert.equal(error.code, "E_NEGATIVE");
      assert.equal(error.message, `negative: ${item}`);
    }
  });

  test("filter, tap and forEach spans end ok with what the call returned", async () => {
    for (const kind of ["filter", "tap", "forEach"] as const) {
      const { tracer, calls } = recordingTracer();
      const pipeline = from(range(20));
      const stage = thread(fixture(kind === "filter" ? "even" : "double"), { threads: 1 });
      const run =
        kind === "filter"
          ? pipeline.filter(stage).run({ trace: tracer })
          : kind === "tap"
            ? pipeline.tap(stage).run({ trace: tracer })
            : pipeline.forEach(stage).run({ trace: tracer });
      await run.drain();
      assert.equal(calls.length, 20, kind);
      assertEveryEndedOnce(calls);
      assert.ok(
        calls.every((call) => call.outcome === "ok"),
        kind,
      );
      if (kind === "filter") {
        assert.ok(calls.every((call) => typeof call.value === "boolean"));
      }
    }
  });

  test("an item whose thread crashes ends its span failed, then starts again as attempt 2 on a fresh thread", async () => {
    const { tracer, calls } = recordingTracer();
    const items = range(60).map((i) => crashItem(i, i === 17 ? "once" : undefined));
    const run = from(items)
      .map(thread(fixture("crash"), { threads: 2, batch: 8 }))
      .run({ trace: tracer });
    assert.equal((await run.collect()).length, 60);
    assertEveryEndedOnce(calls);
    const victim = calls.filter((call) => call.call.index === 17);
    assert.deepEqual(
      victim.map((call) => [call.call.attempt, call.outcome]),
      [
        [1, "failed"],
        [2, "ok"],
      ],
    );
    assert.match(
      (victim[0]!.value as Error).message,
      /the thread holding item #17 died \(exit code 7\); the item is sent again/,
    );
    // The second attempt ran on another thread (the dead one's replacement, or the other).
    assert.notEqual(victim[1]!.call.threadId, victim[0]!.call.threadId);
    // Each item ends ok exactly once, on its last attempt.
    const oks = calls.filter((call) => call.outcome === "ok");
    assert.deepEqual(
      oks.map((call) => call.call.index).sort((a, b) => a - b),
      range(60),
    );
  });

  test("an item that kills its thread twice ends its second span with the WorkerCrashedError", async () => {
    const { tracer, calls } = recordingTracer();
    const items = range(20).map((i) => crashItem(i, i === 5 ? "always" : undefined));
    const run = from(items)
      .map(thread(fixture("crash"), { threads: 1, batch: 4 }), { onError: "skip" })
      .run({ trace: tracer });
    assert.equal((await run.collect()).length, 19);
    assertEveryEndedOnce(calls);
    const victim = calls.filter((call) => call.call.index === 5);
    assert.deepEqual(
      victim.map((call) => [call.call.attempt, call.outcome]),
      [
        [1, "failed"],
        [2, "failed"],
      ],
    );
    assert.ok(!isWorkerCrashedError(victim[0]!.value));
    assert.ok(isWorkerCrashedError(victim[1]!.value));
  });

  test("a sync call past its timeout ends failed with the TimeoutError; its batch's others start again", async () => {
    const { tracer, calls } = recordingTracer();
    const run = from([1, 1, 60_000, 1, 1])
      .map(thread(fixture("busy"), { threads: 1, batch: 5, timeout: 100 }), {
        onError: "collect",
        ordered: true,
      })
      .run({ trace: tracer });
    const values = await run.collect();
    assert.deepEqual(
      values.map((value) => value.ok),
      [true, true, false, true, true],
    );
    assertEveryEndedOnce(calls);
    const timedOut = calls.filter((call) => call.call.index === 2);
    assert.equal(timedOut.length, 1);
    assert.equal((timedOut[0]!.value as Error).name, "TimeoutError");
    // Every other item ends ok once, on its last attempt.
    const oks = calls.filter((call) => call.outcome === "ok").map((call) => call.call.index);
    assert.deepEqual(
      oks.sort((a, b) => a - b),
      [0, 1, 3, 4],
    );
  });

  test("every span started ends once, under crashes, failures and cancellation at any point", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 80 }),
        fc.nat(79),
        fc.constantFrom("none", "once", "always") as fc.Arbitrary<"none" | "once" | "always">,
        fc.integer({ min: 1, max: 16 }),
        fc.option(fc.nat(100), { nil: undefined }),
        fc.boolean(),
        fc.boolean(),
        async (count, at, how, batch, cancelAt, cancelInside, ordered) => {
          const { tracer, calls } = recordingTracer();
          const victim = at % count;
          const items = range(count).map((i) =>
            crashItem(i, how !== "none" && i === victim ? how : undefined),
          );
          // Cancelled as the cancelAt-th span starts: from inside the hook, or just after.
          const cancelling: CallTracer = {
            forStage(stage) {
              const hook = tracer.forStage(stage)!;
              return {
                start(item, call) {
                  const span = hook.start(item, call);
                  if (calls.length === cancelAt) {
                    if (cancelInside) void run.cancel("enough");
                    else setImmediate(() => void run.cancel("enough"));
                  }
                  return span;
                },
              };
            },
          };
          const run = from(items)
            .map(thread(fixture("crash"), { threads: 2, batch }), { onError: "collect", ordered })
            .run({ trace: cancelling });
          await run.drain().catch(() => {});
          const summary = await run.settled;
          assertConserved(summary);
          assertEveryEndedOnce(calls);
          // Each item's attempts count up from 1, one span each.
          const attempts = new Map<number, number[]>();
          for (const call of calls) {
            const seen = attempts.get(call.call.index) ?? [];
            seen.push(call.call.attempt);
            attempts.set(call.call.index, seen);
          }
          for (const seen of attempts.values()) {
            assert.deepEqual(
              seen,
              seen.map((_, i) => i + 1),
            );
          }
          // A call that returned ends ok even if its item is then cancelled (an ordered
          // stage's item waiting for its turn when the run stopped).
          const oks = calls.filter((call) => call.outcome === "ok").length;
          assert.ok(oks >= summary.stages[0]!.out);
          if (cancelAt === undefined || cancelAt === 0 || cancelAt > calls.length) {
            assert.equal(summary.outcome, "completed");
            assert.equal(oks, summary.stages[0]!.out);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  test("cancelling mid-run ends the spans of the calls in flight as failed with the reason", async () => {
    await assertNoLeaks(async () => {
      const { tracer, calls } = recordingTracer();
      const run = from(range(200).map(() => 20))
        .map(thread(fixture("async"), { threads: 2, batch: 4 }))
        .run({ trace: tracer });
      const drained = run.drain().catch(() => {});
      // Once calls have come back, so that others are surely in flight.
      const poll = setInterval(() => {
        if (calls.some((call) => call.outcome === "ok")) void run.cancel("enough");
      }, 5);
      await drained;
      const summary = await run.settled;
      clearInterval(poll);
      assert.equal(summary.outcome, "cancelled");
      assertEveryEndedOnce(calls);
      const cancelled = calls.filter((call) => call.outcome === "failed");
      assert.ok(cancelled.length > 0);
      assert.ok(cancelled.every((call) => call.value === "enough"));
      assert.equal(calls.filter((call) => call.outcome === "ok").length, summary.stages[0]!.out);
    });
  });

  test("a hook whose start throws fails the run with its error, and the spans started end", async () => {
    const broken = new Error("tracer bug");
    const ended: number[] = [];
    let started = 0;
    const tracer: CallTracer = {
      forStage: () => ({
        start(_item, call) {
          if (call.index === 30) throw broken;
          started++;
          const span: CallSpan = {
            ok: () => ended.push(call.index),
            failed: () => ended.push(call.index),
          };
          return span;
        },
      }),
    };
    await assertNoLeaks(async () => {
      const run = from(range(1000))
        .map(thread(fixture("double"), { threads: 2, batch: 10 }))
        .run({ trace: tracer });
      await assert.rejects(run.drain(), (error) => error === broken);
      const summary = await run.settled;
      assert.equal(summary.outcome, "failed");
      assert.equal(summary.stages[0]!.failed, 0);
      assert.equal(ended.length, started);
    });
  });

  test("a span whose end throws fails the run with its error, not the item", async () => {
    const broken = new Error("tracer bug");
    const tracer: CallTracer = {
      forStage: () => ({
        start: (_item, call) =>
          call.index === 3
            ? {
                ok() {
                  throw broken;
                },
                failed() {},
              }
            : undefined,
      }),
    };
    const run = from(range(100))
      .map(thread(fixture("double"), { threads: 1, batch: 10 }))
      .run({ trace: tracer });
    await assert.rejects(run.drain(), (error) => error === broken);
    const summary = await run.settled;
    assert.equal(summary.outcome, "failed");
    assert.equal(summary.stages[0]!.failed, 0);
  });
});
