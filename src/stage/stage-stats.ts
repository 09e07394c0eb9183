import type { StageStats } from "../pipeline/summary.js";
import type { StageSpec } from "./stage-spec.js";

/** The numbers a stage counts; its settings come from its spec. */
export type StageCounters = Omit<
  StageStats,
  "name" | "kind" | "concurrency" | "ordered" | "buffer"
>;

/** Counters of a stage that has not run yet. */
export const kIdleCounters: StageCounters = Object.freeze({
  in: 0,
  out: 0,
  filtered: 0,
  failed: 0,
  cancelled: 0,
  discarded: 0,
  emitted: 0,
  maxInFlight: 0,
  inFlight: 0,
});

/** One stage's snapshot: its settings beside its counters. */
export function stageStats(spec: StageSpec, counters: StageCounters): StageStats {
  return {
    name: spec.name,
    kind: spec.kind,
    concurrency: spec.concurrency,
    ordered: spec.ordered,
    buffer: spec.buffer,
    ...counters,
  };
}
