import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { from, isStageError, type RunSummary } from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { until } from "../helpers/until.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Checks the main run and every branch: conserved, and every offer read or dropped. */
function assertTeeConserved(summary: RunSummary): void {
  assertConserved(summary);
  for (const branch of summary.branches ?? []) {
    assert.equal(branch.queued, 0, `${branch.name}: nothing left queued`);
    const run = branch.run!;
    assertConserved(run);
    assert.equal(
      branch.offered,
      run.pulled + branch.dropped,
      `${branch.name}: offered = read + dropped`,
    );
  }
}

describe(".tee()", () => {
  test('mode "block": every item goes on and reaches the branch; the run ends once the branch has read its buffer', async () => {
    const audited: number[] = [];
    const run = from(range(500))
      .tee(
        (side) =>
          side.forEach(
            async (n: number) => {
              await turn();
              audited.push(n);
            },
            { concurrency: 2 },
          ),
        { buffer: 8, mode: "block" },
      )
      .map((n) => n * 2)
      .run();
    const out = await run.toArray();
    assert.equal(out.length, 500);
    assert.equal(audited.length, 500, "the branch finished before the run settled");
    const summary = run.stats();
    assert.equal(summary.outcome, "completed");
    const branch = summary.branches![0]!;
    assert.deepEqual(
      { name: branch.name, mode: branch.mode, buffer: branch.buffer, offered: branch.offered },
      { name: "tee#1", mode: "block", buffer: 8, offered: 500 },
    );
    assert.equal(branch.dropped, 0);
    assert.equal(branch.run!.outcome, "completed");
    assertTeeConserved(summary);
  });

  test('mode "drop" (the default): a slow branch never holds the main path back; what it had no room for is counted', async () => {
    let audited = 0;
    const summary = await from(range(2_000))
      .tee(
        (side) =>
          side.forEach(
            async () => {
              await new Promise((resolve) => setTimeout(resolve, 1));
              audited++;
            },
            { concurrency: 1 },
          ),
        { buffer: 4 },
      )
      .forEach(() => {})
      .run();
    const branch = summary.branches![0]!;
    assert.equal(branch.mode, "drop");
    assert.equal(branch.offered, 2_000);
    assert.ok(branch.dropped > 1_000, `${branch.dropped} dropped`);
    assert.equal(audited, 2_000 - branch.dropped);
    assert.equal(summary.stages.at(-1)!.out, 2_000);
    assertTeeConserved(summary);
  });

  test("a branch that fails fails the run with its error; a cancelled run cancels its branch", async () => {
    const broken = new Error("audit store down");
    await assert.rejects(
      from(range(100))
        .tee(
          (side) =>
            side.forEach((n: number) => {
              if (n === 10) throw broken;
            }),
          { mode: "block", buffer: 2 },
        )
        .forEach(async () => {
          await turn();
        })
        .run()
        .drain(),
      (error: unknown) =>
        isStageError(error) &&
        error.stage === "tee#1" &&
        isStageError(error.cause) &&
        error.cause.cause === broken,
    );

    let branchSignal: AbortSignal | undefined;
    const run = from(async function* () {
      for (let i = 0; ; i++) {
        await turn();
        yield i;
      }
    })
      .tee((side) =>
        side.forEach(
          (_n: number, ctx) =>
            new Promise((resolve) => {
              branchSignal = ctx.signal;
              ctx.signal.addEventListener("abort", resolve);
            }),
          { concurrency: 1 },
        ),
      )
      .forEach(() => {})
      .run();
    const drained = run.drain().catch(() => undefined);
    await until(() => branchSignal !== undefined);
    const summary = await run.cancel();
    await drained;
    assert.equal(summary.outcome, "cancelled");
    assert.equal(branchSignal!.aborted, true);
    assert.equal(summary.branches![0]!.run!.outcome, "cancelled");
  });

  test("each run of one definition has a branch run of its own", async () => {
    const seen: number[][] = [[], []];
    let runNo = 0;
    const pipeline = from(() => [1, 2, 3]).tee(
      (side) =>
        side.forEach((n: number) => {
          seen[runNo]!.push(n);
        }),
      { mode: "block" },
    );
    await pipeline.run().drain();
    runNo = 1;
    await pipeline.run().drain();
    assert.deepEqual(seen, [
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  test("fast-check: conservation through a tee in both modes, under random delays", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 200 }),
        fc.constantFrom("drop", "block") as fc.Arbitrary<"drop" | "block">,
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 16 }),
        async (count, mode, buffer, delays) => {
          const wait = async (n: number): Promise<void> => {
            for (let i = 0; i < delays[n % delays.length]!; i++) await turn();
          };
          const run = from(range(count))
            .tee(
              (side) =>
                side
                  .map(async (n: number) => (await wait(n), n), { concurrency: 3 })
                  .filter((n) => n % 2 === 0),
              { mode, buffer },
            )
            .map(async (n) => (await wait(n + 1), n), { concurrency: 4 })
            .run();
          const out = await run.toArray();
          assert.equal(out.length, count);
          const summary = run.stats();
          assertTeeConserved(summary);
          if (mode === "block") assert.equal(summary.branches![0]!.dropped, 0);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("a bad branch or option is refused, naming it", () => {
    const source = from([1]);
    assertInvalid(
      () => source.tee(42 as never),
      "Expected `tee.branch` to be a function side => a pipeline built on side, got `42` (number)",
      "tee.branch",
    );
    assertInvalid(
      () => source.tee(() => from([2]).forEach(() => {})),
      "Expected `tee.branch` to be a function that returns the branch, a pipeline built on the one it receives (side => side.map(…).forEach(…)), got `{}` (Pipeline)",
      "tee.branch",
    );
    assertInvalid(
      () => source.tee((side) => side),
      "Expected `tee.branch` to be a function that returns a branch with at least one stage (side => side.forEach(…)), got `{}` (Pipeline)",
      "tee.branch",
    );
    assertInvalid(
      () => source.tee((side) => side.forEach(() => {}), { mode: "wait" as never }),
      'Expected `tee.mode` to be one of "drop", "block", got `"wait"` (string)',
      "tee.mode",
    );
    assertInvalid(
      () => source.tee((side) => side.forEach(() => {}), { buffer: 0 }),
      "Expected `tee.buffer` to be an integer >= 1, got `0` (number)",
      "tee.buffer",
    );
  });
});
