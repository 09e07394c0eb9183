import assert from "node:assert/strict";
import type { RunSummary } from "../../src/index.js";

/**
 * Checks that every item is accounted for: per stage `in = out + filtered + failed +
 * cancelled + shed`; across each boundary `emitted = next.in + next.discarded`; the source's items
 * all reached the first stage or were discarded there; the last stage's values were either
 * delivered or counted as undelivered.
 */
export function assertConserved(summary: RunSummary): void {
  const { stages } = summary;
  for (const stage of stages) {
    assert.equal(
      stage.in,
      stage.out + stage.filtered + stage.failed + stage.cancelled + stage.shed,
      `stage ${stage.name}: in ${stage.in} != out ${stage.out} + filtered ${stage.filtered} + failed ${stage.failed} + cancelled ${stage.cancelled} + shed ${stage.shed}`,
    );
    assert.equal(stage.inFlight, 0, `stage ${stage.name} still has items in flight`);
  }
  if (stages.length === 0) return;
  const first = stages[0]!;
  assert.equal(summary.pulled, first.in + first.discarded, "pulled != first.in + first.discarded");
  for (let i = 1; i < stages.length; i++) {
    const previous = stages[i - 1]!;
    const stage = stages[i]!;
    assert.equal(
      previous.emitted,
      stage.in + stage.discarded,
      `${previous.name}.emitted ${previous.emitted} != ${stage.name}.in ${stage.in} + discarded ${stage.discarded}`,
    );
  }
  const last = stages.at(-1)!;
  assert.equal(
    last.emitted,
    summary.delivered + summary.undelivered,
    `last emitted ${last.emitted} != delivered ${summary.delivered} + undelivered ${summary.undelivered}`,
  );
}
