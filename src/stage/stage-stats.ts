import { startingLimit } from "../limit/stage-limit.js";
import type { StageSpec } from "../contract/stage-spec.js";
import type { StageStats } from "../contract/summary.js";

/** The numbers a stage counts; its settings come from its spec. */
export type StageCounters = Omit<
  StageStats,
  "name" | "kind" | "concurrency" | "limit" | "ordered" | "buffer"
>;

/** Counters of a stage that has not run yet. */
export const kIdleCounters: StageCounters = Object.freeze({
  in: 0,
  out: 0,
  filtered: 0,
  failed: 0,
  cancelled: 0,
  abandoned: 0,
  retried: 0,
  hedged: 0,
  shed: 0,
  discarded: 0,
  emitted: 0,
  maxInFlight: 0,
  inFlight: 0,
});

/**
 * One stage's snapshot: its settings beside its counters. `width` is the live width of a
 * function stage; stages that handle one item (or one batch) at a time report 1 and keep
 * input order.
 */
export function stageStats(spec: StageSpec, width: number, counters: StageCounters): StageStats {
  const functionStage = "concurrency" in spec;
  return {
    name: spec.name,
    kind: spec.kind,
    concurrency: functionStage ? spec.concurrency : 1,
    limit: functionStage ? width : 1,
    ordered: functionStage ? spec.ordered : true,
    buffer: spec.buffer,
    ...counters,
  };
}

/** The width a stage starts with (its snapshot before a run, or when idle). */
export function initialWidth(spec: StageSpec): number {
  if (!("concurrency" in spec)) return 1;
  return spec.limiter === undefined
    ? spec.concurrency
    : startingLimit(spec.limiter, spec.concurrency);
}
