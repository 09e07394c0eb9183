import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import fc from "fast-check";
import { isCancelledError } from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";
import {
  buildPipeline,
  InFlightProbe,
  reference,
  type StagePlan,
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
const plans = fc.array(stagePlan, { minLength: 1, maxLength: 4 });
const inputs = fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 80 });

test("conserves every item, keeps order when every stage is ordered, bounds in-flight", async () => {
  await fc.assert(
    fc.asyncProperty(plans, inputs, sourceKind, async (plan, input, kind) => {
      const probe = new InFlightProbe(plan.length);
      const run = buildPipeline(plan, makeSource(kind, input, { closed: false }), probe).run();
      const output = await run.collect();
      const expected = reference(plan, input);
      if (plan.every((stage) => stage.ordered)) {
        assert.deepEqual(output, expected);
      } else {
        assert.deepEqual([...output].sort(byNumber), [...expected].sort(byNumber));
      }
      const summary = await run.settled;
      assert.equal(summary.outcome, "completed");
      assertConserved(summary);
      plan.forEach((stage, i) => {
        assert.ok(
          probe.max[i]! <= stage.concurrency,
          `stage ${i}: ${probe.max[i]} in flight > concurrency ${stage.concurrency}`,
        );
        assert.ok(summary.stages[i]!.maxInFlight <= stage.concurrency);
      });
    }),
    { numRuns: 120 },
  );
});

test("the source runs no further ahead of the consumer than the stages' capacities", async () => {
  const oneToOne = stagePlan.map((plan): StagePlan => ({
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
      plans,
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

function byNumber(a: number, b: number): number {
  return a - b;
}
