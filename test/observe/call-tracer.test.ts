import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CallTracer, from, StageError } from "../../src/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { recordingTracer } from "../helpers/recording-tracer.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("run({ trace })", () => {
  test("asks once per function stage, with its name, position and kind, and hears every call end once", async () => {
    const { tracer, stages, calls } = recordingTracer();
    const out = await from(range(20))
      .map(async (x: number) => x * 2, { name: "double", concurrency: 4 })
      .batch({ size: 5 })
      .flatMap((batch: number[]) => batch, { name: "unbatch" })
      .filter((x: number) => x % 4 === 0, { name: "fours" })
      .run({ trace: tracer })
      .collect();
    assert.equal(out.length, 10);
    assert.deepEqual(
      stages.map((stage) => [stage.name, stage.position, stage.kind, stage.threads]),
      [
        ["double", 0, "map", false],
        ["unbatch", 2, "flatMap", false],
        ["fours", 3, "filter", false],
      ],
    );
    assert.equal(calls.length, 20 + 4 + 20);
    assert.ok(calls.every((call) => call.ends === 1 && call.outcome === "ok"));
    const doubles = calls.filter((call) => call.stage === "double");
    assert.deepEqual(
      doubles.map((call) => call.call.index).sort((a, b) => a - b),
      range(20),
    );
    assert.ok(doubles.every((call) => call.value === (call.item as number) * 2));
    assert.ok(doubles.every((call) => call.call.attempt === 1 && call.call.slot < 4));
    const fours = calls.filter((call) => call.stage === "fours");
    assert.equal(fours.filter((call) => call.value === true).length, 10);
  });

  test("each retry is a call of its own, and a failure is reported with its error", async () => {
    const { tracer, calls } = recordingTracer();
    const summary = await from([1, 2, 3])
      .map(
        (x: number, ctx) => {
          if (x === 2 && ctx.attempt < 3) throw new Error(`flaky ${x}`);
          if (x === 3) throw new TypeError("always");
          return x;
        },
        { retry: { attempts: 3, backoff: 1 }, onError: "skip", name: "flaky" },
      )
      .run({ trace: tracer });
    assert.equal(summary.stages[0]!.failed, 1);
    const two = calls.filter((call) => call.item === 2);
    assert.deepEqual(
      two.map((call) => [call.call.attempt, call.outcome]),
      [
        [1, "failed"],
        [2, "failed"],
        [3, "ok"],
      ],
    );
    const three = calls.filter((call) => call.item === 3);
    assert.equal(three.length, 3);
    assert.ok(three.every((call) => call.value instanceof TypeError && call.ends === 1));
  });

  test("a stage the tracer leaves bare runs its function untouched", async () => {
    const { tracer, calls } = recordingTracer((stage) => stage.name === "b");
    const out = await from(range(5))
      .map((x: number) => x + 1, { name: "a" })
      .map((x: number) => x * 10, { name: "b" })
      .run({ trace: tracer })
      .collect();
    assert.deepEqual(out, [10, 20, 30, 40, 50]);
    assert.deepEqual(new Set(calls.map((call) => call.stage)), new Set(["b"]));
  });

  test("run() wraps the call when the span asks to", async () => {
    let depth = 0;
    const seen: number[] = [];
    const tracer: CallTracer = {
      forStage: () => ({
        start: () => ({
          run(call) {
            depth++;
            try {
              return call();
            } finally {
              depth--;
            }
          },
          ok() {},
          failed() {},
        }),
      }),
    };
    await from(range(3))
      .map((x: number) => {
        seen.push(depth);
        return x;
      })
      .run({ trace: tracer })
      .drain();
    assert.deepEqual(seen, [1, 1, 1]);
  });

  test("a tracer that throws fails the run with its error, not the item", async () => {
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
    const calls: number[] = [];
    const run = from(range(100))
      .map((x: number) => {
        calls.push(x);
        return x;
      })
      .run({ trace: tracer });
    await assert.rejects(run.drain(), (error) => error === broken);
    const summary = await run.settled;
    assert.equal(summary.outcome, "failed");
    assert.equal(summary.stages[0]!.failed, 0);
  });

  test("cancellation: every call started ends once, as failed when its signal aborted it", async () => {
    const { tracer, calls } = recordingTracer();
    const controller = new AbortController();
    const run = from(range(1000))
      .map(
        (x: number, ctx) =>
          new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => resolve(x), 5);
            ctx.signal.addEventListener("abort", () => {
              clearTimeout(timer);
              reject(ctx.signal.reason);
            });
            if (x === 10) controller.abort(new Error("stop"));
          }),
        { concurrency: 8 },
      )
      .run({ trace: tracer, signal: controller.signal });
    await assert.rejects(run.drain());
    await run.settled;
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(calls.length >= 11, `calls ${calls.length}`);
    assert.ok(calls.every((call) => call.ends === 1));
    assert.ok(calls.some((call) => call.outcome === "failed"));
  });

  test("rejects a trace that is not a tracer", () => {
    assertInvalid(
      () => from([1]).run({ trace: {} as CallTracer }),
      'Expected `run.trace` to be a call tracer such as otel() from "sluice/otel", got `{}` (object)',
      "run.trace",
    );
  });

  test("a StageError still names the stage when a traced call fails the run", async () => {
    const { tracer } = recordingTracer();
    await assert.rejects(
      from([1])
        .map(
          () => {
            throw new Error("boom");
          },
          { name: "explode" },
        )
        .run({ trace: tracer })
        .drain(),
      (error) => error instanceof StageError && error.stage === "explode",
    );
  });
});
