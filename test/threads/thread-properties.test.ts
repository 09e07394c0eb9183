import assert from "node:assert/strict";
import { after, test } from "node:test";
import fc from "fast-check";
import { isCancelledError } from "../../src/index.js";
import { threadPool } from "../../src/threads/index.js";
import { assertConserved } from "../helpers/conservation.js";
import {
  anyStagePlan,
  buildPipeline,
  comparable,
  InFlightProbe,
  isFunctionPlan,
  reference,
  type StagePlan,
  stagePlan,
} from "../helpers/random-pipeline.js";
import { assertNoLeaks } from "../helpers/resources.js";

// One pool for every case: the properties are about the stages, not about starting threads.
const pool = threadPool({ threads: 2 });
const threads = { pool, worker: new URL("./fixtures/plan.worker.js", import.meta.url) };
after(() => pool.close());

/** Random plans in which some function stages run on threads. */
const plans = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: stagePlan.map((stage) => ({ ...stage, threaded: true })) },
    { weight: 1, arbitrary: stagePlan },
    { weight: 1, arbitrary: anyStagePlan },
  ),
  { minLength: 1, maxLength: 4 },
);
const byNumber = (a: number, b: number) => a - b;

test("with thread stages: conserves every item and keeps order when every stage is ordered", async () => {
  await fc.assert(
    fc.asyncProperty(
      plans,
      fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 60 }),
      async (plan: StagePlan[], input) => {
        await assertNoLeaks(async () => {
          const probe = new InFlightProbe(plan.length);
          const run = buildPipeline(plan, input, probe, undefined, threads).run();
          const output = await run.collect();
          const expected = reference(plan, input);
          const mode = comparable(plan);
          if (mode === "exact") assert.deepEqual(output, expected);
          else if (mode === "multiset") {
            assert.deepEqual([...output].sort(byNumber), [...expected].sort(byNumber));
          }
          const summary = await run.settled;
          assert.equal(summary.outcome, "completed");
          assertConserved(summary);
          plan.forEach((stage, i) => {
            const width = isFunctionPlan(stage) ? stage.concurrency : 1;
            assert.ok(summary.stages[i]!.maxInFlight <= width, `stage ${i} over its width`);
          });
        });
      },
    ),
    { numRuns: 40 },
  );
});

test("with thread stages: cancelling at any point settles and accounts for every item", async () => {
  await fc.assert(
    fc.asyncProperty(
      plans,
      fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 150 }),
      fc.nat(20),
      fc.constantFrom("cancel", "break"),
      async (plan: StagePlan[], input, stopAfter, method) => {
        await assertNoLeaks(async () => {
          const run = buildPipeline(
            plan,
            function* () {
              yield* input;
            },
            new InFlightProbe(plan.length),
            undefined,
            threads,
          ).run();
          let seen = 0;
          let thrown: unknown;
          try {
            for await (const _ of run) {
              if (seen++ < stopAfter) continue;
              if (method === "cancel") void run.cancel(new Error("stop"));
              else break;
            }
          } catch (error) {
            thrown = error;
          }
          const summary = await run.settled;
          assertConserved(summary);
          if (summary.outcome === "completed") return;
          assert.equal(summary.outcome, "cancelled");
          if (method === "cancel") assert.ok(isCancelledError(thrown));
          else assert.equal(thrown, undefined);
        });
      },
    ),
    { numRuns: 30 },
  );
});

test("with thread stages: a stage woken by the next one's read into the shared pool's last room loses nothing (found by the property above)", async () => {
  // Stage 1 saw room in the pool, then took its batch from stage 0's output; the space that
  // freed woke stage 0, which sent a batch into that room first. Stage 1 threw an internal
  // error ("a thread pool with room sent nothing") from the thread's message handler.
  const plan: StagePlan[] = [
    {
      kind: "tap",
      concurrency: 2,
      buffer: 1,
      ordered: false,
      modes: ["micro"],
      failEvery: 0,
      salt: 805,
      control: "weight-rate",
      threaded: true,
    },
    {
      kind: "map",
      concurrency: 2,
      buffer: 4,
      ordered: true,
      modes: ["turn"],
      failEvery: 0,
      salt: 346,
      control: "retry",
      threaded: true,
    },
    {
      kind: "tap",
      concurrency: 8,
      buffer: 9,
      ordered: true,
      modes: ["sync", "timer", "turn"],
      failEvery: 3,
      salt: 696,
      control: "per-key",
      threaded: true,
    },
  ] as StagePlan[];
  const input = Array.from({ length: 12 }, (_, i) => i * 7);
  for (let round = 0; round < 40; round++) {
    await assertNoLeaks(async () => {
      const run = buildPipeline(
        plan,
        () => input,
        new InFlightProbe(plan.length),
        undefined,
        threads,
      ).run();
      let seen = 0;
      for await (const _ of run) if (seen++ >= 9) break;
      const summary = await run.settled;
      assertConserved(summary);
      assert.ok(
        summary.outcome === "completed" || summary.outcome === "cancelled",
        summary.outcome,
      );
    });
  }
});
