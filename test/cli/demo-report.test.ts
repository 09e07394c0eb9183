import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type DemoTally, demoPipeline } from "../../src/cli/demo-pipeline.js";
import { renderChecks, renderIntro } from "../../src/cli/demo-report.js";
import { runSummary, stageStats } from "./fixtures.js";

const tally: DemoTally = {
  deadLetters: 2,
  firstDeadLetter: "record 999: upstream answered 503",
  overtaken: 150,
  finishedLate: 1,
  orderBroken: undefined,
  batches: 6,
  written: 2_673,
  checksum: 0xc19896f9,
};

const summary = runSummary({
  stages: [
    stageStats({ maxInFlight: 60 }),
    stageStats({ name: "enrich", ordered: true, emitted: 2_673 }),
  ],
});

describe("renderIntro", () => {
  test("describes each stage with the settings the library validated", () => {
    const { pipeline } = demoPipeline({ items: 3_000, concurrency: 7 });
    const lines = renderIntro(3_000, pipeline.stages);
    assert.equal(
      lines[0],
      "sluice demo: 3,000 generated records through 5 stages. Ctrl-C cancels; --help lists the options.",
    );
    assert.match(lines[2] ?? "", /^ {2}fetch {5}map {6}concurrency 7, unordered +1 in 20 records/);
    assert.match(lines[4] ?? "", /^ {2}enrich {4}map {6}concurrency 16, ordered +1 in 1,000/);
    assert.match(lines[5] ?? "", /^ {2}batch {5}batch {4}\s+groups 500 records/);
  });
});

describe("renderChecks", () => {
  test("reports fan-out, order, dead letters and what was written", () => {
    assert.deepEqual(renderChecks(summary, tally), [
      "fan-out:  fetch peaked at 60 of 64 records in flight; 150 records arrived after a later one (unordered: completion order)",
      "order:    ✓ order verified: enrich emitted 2,673 records in input order, though 1 finished after a later one",
      "dead letters: 2 records skipped by fetch (first: record 999: upstream answered 503)",
      "written:  6 batches, 2,673 records, checksum c19896f9",
    ]);
  });

  test("says where order broke", () => {
    const lines = renderChecks(summary, { ...tally, orderBroken: "expected #5, got #6" });
    assert.equal(lines[1], "order:    ✗ order broken: expected #5, got #6");
  });

  test("leaves out the stages a summary does not have", () => {
    const lines = renderChecks(runSummary({ stages: [] }), { ...tally, deadLetters: 0 });
    assert.deepEqual(lines, [
      "dead letters: none",
      "written:  6 batches, 2,673 records, checksum c19896f9",
    ]);
  });
});
