import type { RunSummary, StageStats } from "../index.js";

/**
 * Whether a settled stage accounted for every item it took:
 * `in = out + filtered + failed + cancelled + shed` (see `StageStats`).
 */
export function isStageConserved(stage: StageStats): boolean {
  return stage.in === stage.out + stage.filtered + stage.failed + stage.cancelled + stage.shed;
}

/**
 * The hand-offs of a settled run whose counts do not match, as readable sentences (empty when
 * every item is accounted for): source to first stage (`pulled = in + discarded`), stage to
 * stage (`emitted = next.in + next.discarded`) and last stage to the consumer
 * (`emitted = delivered + undelivered`).
 */
export function brokenHandoffs(summary: RunSummary): string[] {
  const broken: string[] = [];
  const { stages } = summary;
  const first = stages[0];
  if (first === undefined) return broken;
  if (summary.pulled !== first.in + first.discarded) {
    broken.push(
      `source → ${first.name}: pulled ${summary.pulled} ≠ in ${first.in} + discarded ${first.discarded}`,
    );
  }
  for (let i = 1; i < stages.length; i++) {
    const previous = stages[i - 1]!;
    const stage = stages[i]!;
    if (previous.emitted !== stage.in + stage.discarded) {
      broken.push(
        `${previous.name} → ${stage.name}: emitted ${previous.emitted} ≠ in ${stage.in} + discarded ${stage.discarded}`,
      );
    }
  }
  const last = stages.at(-1)!;
  if (last.emitted !== summary.delivered + summary.undelivered) {
    broken.push(
      `${last.name} → consumer: emitted ${last.emitted} ≠ delivered ${summary.delivered} + undelivered ${summary.undelivered}`,
    );
  }
  return broken;
}
