import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { brokenHandoffs, isStageConserved } from "../../src/cli/conservation.js";
import { runSummary, stageStats } from "./fixtures.js";

describe("isStageConserved", () => {
  test("holds when in = out + filtered + failed + cancelled", () => {
    assert.equal(
      isStageConserved(stageStats({ in: 10, out: 4, filtered: 3, failed: 2, cancelled: 1 })),
      true,
    );
  });

  test("fails when an item is missing or counted twice", () => {
    assert.equal(isStageConserved(stageStats({ in: 10, out: 4, filtered: 3, failed: 2 })), false);
    assert.equal(isStageConserved(stageStats({ in: 10, out: 11, failed: 0 })), false);
  });

  test("does not count discarded items: they never entered the stage", () => {
    assert.equal(isStageConserved(stageStats({ discarded: 7 })), true);
  });
});

describe("brokenHandoffs", () => {
  test("is empty when every boundary balances", () => {
    assert.deepEqual(brokenHandoffs(runSummary()), []);
  });

  test("counts discarded items at the next stage's input as accounted for", () => {
    const [fetch, validate, ...rest] = runSummary().stages;
    const summary = runSummary({
      stages: [fetch!, { ...validate!, in: 980, out: 890, discarded: 10, emitted: 890 }, ...rest],
    });
    assert.deepEqual(brokenHandoffs(summary), [
      "validate → batch: emitted 890 ≠ in 900 + discarded 0",
    ]);
  });

  test("checks the last stage against what the consumer got", () => {
    const summary = runSummary({ stages: [stageStats()], delivered: 900, undelivered: 80 });
    assert.deepEqual(brokenHandoffs(summary), [
      "fetch → consumer: emitted 990 ≠ delivered 900 + undelivered 80",
    ]);
  });

  test("is empty for a run without stages", () => {
    assert.deepEqual(brokenHandoffs(runSummary({ stages: [] })), []);
  });
});
