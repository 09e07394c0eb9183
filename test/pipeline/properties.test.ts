import { getEventListeners } from "node:events";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import fc from "fast-check";
import { from, isCancelledError } from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";
import {
  anyStagePlan,
  buildPipeline,
  comparable,
  distinctReference,
  type FunctionStagePlan,
  InFlightProbe,
  isFunctionPlan,
  reference,
  stagePlan,
} from "../helpers/random-pipeline.js";
import { assertNoLeaks } from "../helpers/resources.js";

type SourceKind = "array" | "generator" | "async-generator";

function makeSource(kind: SourceKind, input: readonly number[], events: { closed: boolean }) {
  switch (kind) {
    case "array":
      return input;
    case "generator":
      return function* () {
        try {
          yield* input;
        } finally {
          events.closed = true;
        }
      };
    case "async-generator":
      return async function* () {
        try {
          for (const item of input) yield item;
        } finally {
          events.closed = true;
        }
      };
  }
}

const sourceKind = fc.constantFrom<SourceKind>("array", "generator", "async-generator");
/** Function stages with take, drop, scan and distinct among them. */
const mixedPlans = fc.array(anyStagePlan, { minLength: 1, maxLength: 5 });
const inputs = fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 80 });

/** Metrics off, or on with one call in 1 to 4 timed: they must change no outcome. */
const metricsChoice = fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined });

test("conserves every item, keeps order when every stage is ordered, bounds in-flight", async () => {
  await fc.assert(
    fc.asyncProperty(
      mixedPlans,
      inputs,
      sourceKind,
      metricsChoice,
      async (plan, input, kind, every) => {
        const events = { closed: false };
        await assertNoLeaks(async () => {
          const probe = new InFlightProbe(plan.length);
          const run = buildPipeline(plan, makeSource(kind, input, events), probe).run(
            every === undefined ? {} : { metrics: { sampleEvery: every } },
          );
          const output = await run.collect();
          const expected = reference(plan, input);
          switch (comparable(plan)) {
            case "exact":
              assert.deepEqual(output, expected);
              break;
            case "multiset":
              assert.deepEqual([...output].sort(byNumber), [...expected].sort(byNumber));
              break;
            case "none":
              // Which items a step stage sees first depends on timing; conservation still holds.
              break;
          }
          const summary = await run.settled;
          assert.equal(summary.outcome, "completed");
          assertConserved(summary);
          const metrics = run.metrics();
          assert.deepEqual(
            metrics.stages.map(({ failedBy, queueDepth, processingMs, queueMs, ...stats }) => {
              // Failures by class add up to failed; a sample is at most one per call.
              const classes = Object.values(failedBy).reduce((a, b) => a + b, 0);
              assert.equal(classes, stats.failed);
              assert.equal(queueDepth, 0);
              if (every === undefined) assert.equal(processingMs.count + queueMs.count, 0);
              assert.ok(queueMs.count <= stats.in);
              return stats;
            }),
            summary.stages.map(({ failedBy, ...stats }, i) => {
              // The summary names failures by class only where there were some.
              const reported = metrics.stages[i]!.failedBy;
              assert.deepEqual(failedBy, stats.failed > 0 ? reported : undefined);
              return stats;
            }),
            "metrics report the summary's own counters",
          );
          // Read to its end, or stopped by a take: either way a generator that yielded
          // something has run its finally (one never started has no finally to run).
          if (kind !== "array" && summary.pulled > 0) {
            assert.ok(events.closed, "the source's iterator was not closed");
          }
          plan.forEach((stage, i) => {
            const width = isFunctionPlan(stage) ? stage.concurrency : 1;
            assert.ok(probe.max[i]! <= width, `stage ${i}: ${probe.max[i]} in flight > ${width}`);
            assert.ok(summary.stages[i]!.maxInFlight <= width);
          });
        });
      },
    ),
    { numRuns: 120 },
  );
});

test("the source runs no further ahead of the consumer than the stages' capacities", async () => {
  const oneToOne = stagePlan.map((plan): FunctionStagePlan => ({
    ...plan,
    kind: plan.kind === "tap" ? "tap" : "map",
    failEvery: 0,
  }));
  await fc.assert(
    fc.asyncProperty(
      fc.array(oneToOne, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 32 }),
      fc.boolean(),
      async (plan, sourceBuffer, asyncSource) => {
        let pulled = 0;
        const items = 2_000;
        const source = asyncSource
          ? async function* () {
              for (let i = 0; i < items; i++) {
                pulled++;
                yield i;
              }
            }
          : function* () {
              for (let i = 0; i < items; i++) {
                pulled++;
                yield i;
              }
            };
        const bound =
          sourceBuffer + plan.reduce((sum, stage) => sum + stage.concurrency + stage.buffer, 0);
        const run = buildPipeline(plan, source, new InFlightProbe(plan.length), sourceBuffer).run();
        let delivered = 0;
        for await (const _ of run) {
          delivered++;
          // A consumer slower than every stage: let the pipeline run as far ahead as it can.
          for (let turn = 0; turn < 6; turn++) await nextTurn();
          assert.ok(
            pulled - delivered <= bound,
            `source ran ${pulled - delivered} items ahead; bound ${bound}`,
          );
          if (delivered === 5) break;
        }
        const summary = await run.settled;
        assertConserved(summary);
      },
    ),
    { numRuns: 40 },
  );
});

test("cancelling at any point settles, closes the source, leaks nothing and accounts for every item", async () => {
  const how = fc.constantFrom("cancel", "signal", "break", "throw");
  await fc.assert(
    fc.asyncProperty(
      mixedPlans,
      fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 200 }),
      sourceKind.filter((kind) => kind !== "array"),
      fc.nat(30),
      how,
      async (plan, input, kind, stopAfter, method) => {
        const events = { closed: false };
        await assertNoLeaks(async () => {
          const controller = new AbortController();
          const run = buildPipeline(
            plan,
            makeSource(kind, input, events),
            new InFlightProbe(plan.length),
          ).run({ signal: controller.signal });
          let seen = 0;
          let thrown: unknown;
          try {
            for await (const _ of run) {
              if (seen++ < stopAfter) continue;
              if (method === "cancel") void run.cancel(new Error("stop"));
              else if (method === "signal") controller.abort(new Error("stop"));
              else if (method === "break") break;
              else throw new Error("consumer failed");
            }
          } catch (error) {
            thrown = error;
          }
          const summary = await run.settled;
          assertConserved(summary);
          if (summary.outcome === "completed") return; // the input ended before the stop point
          assert.equal(summary.outcome, "cancelled");
          assert.ok(events.closed, "the source's iterator was not closed");
          if (method === "cancel" || method === "signal") assert.ok(isCancelledError(thrown));
          else if (method === "break") assert.equal(thrown, undefined);
          else assert.equal((thrown as Error).message, "consumer failed");
        });
      },
    ),
    { numRuns: 80 },
  );
});

describe("take, drop, distinct and scan match their definitions on random inputs", () => {
  const counts = fc.oneof(
    { weight: 8, arbitrary: fc.nat(100) },
    { weight: 1, arbitrary: fc.constant(Number.POSITIVE_INFINITY) },
  );
  const items = fc.array(fc.integer({ min: -20, max: 20 }), { maxLength: 120 });
  const sourceBuffers = fc.integer({ min: 1, max: 16 });

  test("take(n) is xs.slice(0, n), pulling at most a chunk more than it passes", async () => {
    await fc.assert(
      fc.asyncProperty(items, counts, sourceKind, sourceBuffers, async (xs, n, kind, buffer) => {
        await assertNoLeaks(async () => {
          const events = { closed: false };
          const run = from(makeSource(kind, xs, events), { buffer })
            .take(n)
            .run();
          assert.deepEqual(await run.collect(), xs.slice(0, n));
          const summary = await run.settled;
          assert.equal(summary.outcome, "completed");
          assert.equal(summary.stages[0]!.in, Math.min(n, xs.length));
          assert.ok(
            summary.pulled <= n + buffer + 1,
            `pulled ${summary.pulled} for take(${n}) with a source buffer of ${buffer}`,
          );
          if (kind !== "array" && summary.pulled > 0) assert.ok(events.closed);
          assertConserved(summary);
        });
      }),
      { numRuns: 100 },
    );
  });

  test("drop(n) is xs.slice(n), the dropped counted as filtered", async () => {
    await fc.assert(
      fc.asyncProperty(items, counts, sourceKind, async (xs, n, kind) => {
        const run = from(makeSource(kind, xs, { closed: false }))
          .drop(n)
          .run();
        assert.deepEqual(await run.collect(), xs.slice(n));
        const summary = await run.settled;
        assert.equal(summary.stages[0]!.filtered, Math.min(n, xs.length));
        assertConserved(summary);
      }),
      { numRuns: 60 },
    );
  });

  test("distinct() is the first-occurrence filter; distinct(key, { limit }) forgets the least recent key", async () => {
    const values = fc.array(
      fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constantFrom(Number.NaN, -0, 0)),
      { maxLength: 120 },
    );
    await fc.assert(
      fc.asyncProperty(
        values,
        fc.constantFrom(0, 2, 5),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        async (xs, keyModulo, limit) => {
          if (keyModulo === 0 && limit === undefined) {
            const run = from(xs).distinct().run();
            // SameValueZero: Object.is for NaN, === for 0 and -0. deepEqual tells -0 from 0,
            // so this also checks that the first occurrence is the one kept.
            const sameValueZero = (a: number, b: number) => Object.is(a, b) || a === b;
            assert.deepEqual(
              await run.collect(),
              xs.filter((x, i) => xs.findIndex((y) => sameValueZero(x, y)) === i),
            );
            const summary = await run.settled;
            assert.equal(summary.stages[0]!.filtered, xs.length - new Set(xs).size);
            assertConserved(summary);
            return;
          }
          const key = keyModulo === 0 ? undefined : (x: number) => Math.abs(x % keyModulo);
          const run = from(xs)
            .distinct(key, limit === undefined ? {} : { limit })
            .run();
          assert.deepEqual(
            await run.collect(),
            distinctReference(xs, key ?? ((x) => x), limit ?? Number.POSITIVE_INFINITY),
          );
          assertConserved(await run.settled);
        },
      ),
      { numRuns: 80 },
    );
  });

  test("scan(fn, initial) is the running fold, with the index of each item", async () => {
    await fc.assert(
      fc.asyncProperty(
        items,
        fc.integer({ min: -5, max: 5 }),
        sourceKind,
        async (xs, initial, kind) => {
          const fn = (acc: number, x: number, i: number) => (acc * 2 - x + i) % 1009;
          const expected: number[] = [];
          let acc = initial;
          for (let i = 0; i < xs.length; i++) expected.push((acc = fn(acc, xs[i]!, i)));
          const run = from(makeSource(kind, xs, { closed: false }))
            .scan(fn, initial)
            .run();
          assert.deepEqual(await run.collect(), expected);
          assertConserved(await run.settled);
        },
      ),
      { numRuns: 60 },
    );
  });
});

function byNumber(a: number, b: number): number {
  return a - b;
}

describe("property: the per-call signal", () => {
  test("listeners never pile up on one signal, and a cancel aborts every signal read while in flight", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 300 }),
        fc.boolean(),
        async (items, concurrency, cancelAt, leaveListener) => {
          await assertNoLeaks(async () => {
            let maxListeners = 0;
            let calls = 0;
            const inFlight = new Set<AbortSignal>();
            const abortedWhileInFlight: AbortSignal[] = [];
            const run = from(Array.from({ length: items }, (_, i) => i))
              .map(
                async (x, { signal }) => {
                  calls++;
                  if (leaveListener) signal.addEventListener("abort", () => {});
                  maxListeners = Math.max(maxListeners, getEventListeners(signal, "abort").length);
                  inFlight.add(signal);
                  try {
                    await nextTurn();
                  } finally {
                    inFlight.delete(signal);
                  }
                  return x;
                },
                { concurrency },
              )
              .run();
            const draining = run.drain().catch((error: unknown) => {
              if (!isCancelledError(error)) throw error;
            });
            while (calls < Math.min(cancelAt, items) && run.stats().outcome === "running") {
              await nextTurn();
            }
            const reading = [...inFlight];
            if (cancelAt < items) await run.cancel(new Error("cut"));
            await draining;
            for (const signal of reading) if (signal.aborted) abortedWhileInFlight.push(signal);
            assert.ok(maxListeners <= 1, `${maxListeners} listeners on one signal`);
            if (cancelAt < items && run.stats().outcome === "cancelled") {
              assert.equal(abortedWhileInFlight.length, reading.length);
            }
            assertConserved(await run.settled);
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});
