import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { acknowledged, from, isInvalidOptionError, isStageError } from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { until } from "../helpers/until.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe(".loop()", () => {
  test("an item that fails in the body goes round again, at most `times` times more; what succeeds comes out", async () => {
    const attempts = new Map<number, number>();
    const run = from(range(100))
      .loop(
        (back) =>
          back.map(
            async (n: number) => {
              const attempt = (attempts.get(n) ?? 0) + 1;
              attempts.set(n, attempt);
              await turn();
              // Item n fails its first n % 3 attempts.
              if (attempt <= n % 3) throw new Error(`flaky ${n}`);
              return n * 10;
            },
            { concurrency: 8 },
          ),
        { times: 2 },
      )
      .run();
    const out = await run.toArray();
    assert.deepEqual(
      [...out].sort((a, b) => a - b),
      range(100).map((n) => n * 10),
    );
    const summary = run.stats();
    const loop = summary.stages[0]!;
    assert.equal(loop.kind, "loop");
    assert.equal(loop.in, 100);
    assert.equal(loop.out, 100);
    // 33 items fail once, 33 twice: 99 laps more.
    assert.equal(loop.retried, 33 + 33 * 2);
    assert.equal(summary.branches![0]!.name, "loop#1.body");
    assertConserved(summary);
  });

  test("an item that fails its last time round fails the run (onError: fail) or is dropped and counted (skip)", async () => {
    const broken = new Error("always");
    let calls = 0;
    await assert.rejects(
      from([1, 2, 3])
        .loop(
          (back) =>
            back.map((n: number) => {
              calls++;
              if (n === 2) throw broken;
              return n;
            }),
          { times: 3 },
        )
        .run()
        .drain(),
      (error: unknown) =>
        isStageError(error) &&
        error.stage === "loop#1" &&
        error.item === 2 &&
        error.cause === broken,
    );
    assert.ok(calls >= 4, "item 2 went round 3 times more");

    const run = from(range(10))
      .loop(
        (back) =>
          back.map((n: number) => {
            if (n % 5 === 0) throw broken;
            return n;
          }),
        { times: 1, onError: "skip" },
      )
      .run();
    const out = await run.toArray();
    assert.deepEqual(
      [...out].sort((a, b) => a - b),
      [1, 2, 3, 4, 6, 7, 8, 9],
    );
    const loop = run.stats().stages[0]!;
    assert.equal(loop.failed, 2);
    assert.equal(loop.retried, 2);
    assertConserved(run.stats());
  });

  test("a failure in a later stage of the body sends the original item back to the first", async () => {
    const firstStage: number[] = [];
    let secondCalls = 0;
    const out = await from([7])
      .loop(
        (back) =>
          back
            .map((n: number) => {
              firstStage.push(n);
              return { n, lap: firstStage.length };
            })
            .map((value) => {
              secondCalls++;
              if (value.lap < 3) throw new Error("not yet");
              return value.n;
            }),
        { times: 5 },
      )
      .run()
      .toArray();
    assert.deepEqual(out, [7]);
    assert.deepEqual(firstStage, [7, 7, 7]);
    assert.equal(secondCalls, 3);
  });

  test("fast-check: the loop ends, and every item comes out once or fails, under random failures", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (failuresPerItem, times, async) => {
          const attempts = new Map<number, number>();
          const run = from(range(failuresPerItem.length))
            .loop(
              (back) =>
                back.map(
                  async (n: number) => {
                    const attempt = (attempts.get(n) ?? 0) + 1;
                    attempts.set(n, attempt);
                    if (async) await turn();
                    if (attempt <= failuresPerItem[n]!) throw new Error("fail");
                    return n;
                  },
                  { concurrency: 3 },
                ),
              { times, onError: "skip" },
            )
            .run();
          const out = await run.toArray();
          const expected = range(failuresPerItem.length).filter(
            (n) => failuresPerItem[n]! <= times,
          );
          assert.deepEqual(
            [...out].sort((a, b) => a - b),
            expected,
          );
          for (const [n, count] of attempts) {
            assert.equal(count, Math.min(failuresPerItem[n]!, times) + 1, `item ${n}'s laps`);
          }
          const summary = run.stats();
          assertConserved(summary);
          assertConserved(summary.branches![0]!.run!);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("cancelling the run cancels the body", async () => {
    const signals: AbortSignal[] = [];
    const run = from(async function* () {
      for (let i = 0; ; i++) {
        await turn();
        yield i;
      }
    })
      .loop(
        (back) =>
          back.map((_n: number, ctx) => {
            signals.push(ctx.signal);
            return new Promise<number>(() => {});
          }),
        { times: 1 },
      )
      .run();
    const drained = run.drain().catch(() => undefined);
    await until(() => signals.length > 2);
    const summary = await run.cancel();
    await drained;
    assert.equal(summary.outcome, "cancelled");
    assert.ok(signals.every((signal) => signal.aborted));
    assertConserved(summary);
  });

  test("bad options are refused, naming them; a broker source is refused", () => {
    const source = from([1]);
    assertInvalid(
      () => source.loop((back) => back.map((n) => n), undefined as never),
      "Expected `loop` to be an options object with `times`: { times: 3 }, got `undefined` (undefined)",
      "loop",
    );
    assertInvalid(
      () => source.loop((back) => back.map((n) => n), {} as never),
      "Expected `loop.times` to be an integer >= 1 (times an item may go round again), got `undefined` (undefined)",
      "loop.times",
    );
    assertInvalid(
      () => source.loop((back) => back.map((n) => n), { times: 0 }),
      "Expected `loop.times` to be an integer >= 1, got `0` (number)",
      "loop.times",
    );
    assertInvalid(
      () => source.loop(() => from([2]), { times: 1 }),
      "Expected `loop.body` to be a function that returns the body, a pipeline built on the one it receives (back => back.map(…)), got `{}` (Pipeline)",
      "loop.body",
    );
    assert.throws(
      () => from(acknowledged(() => [])).loop((back) => back.map((n) => n), { times: 1 }),
      (error: unknown) =>
        isInvalidOptionError(error) && /cannot follow a broker source/.test(error.message),
    );
  });
});
