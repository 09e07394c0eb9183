import type { RunSummary, StageStats } from "../../src/index.js";

/** A settled map stage with round numbers; override what a test is about. */
export function stageStats(overrides: Partial<StageStats> = {}): StageStats {
  return {
    name: "fetch",
    kind: "map",
    concurrency: 64,
    limit: 64,
    ordered: false,
    buffer: 128,
    in: 1_000,
    out: 990,
    filtered: 0,
    failed: 10,
    cancelled: 0,
    abandoned: 0,
    retried: 0,
    hedged: 0,
    shed: 0,
    discarded: 0,
    emitted: 990,
    maxInFlight: 64,
    inFlight: 0,
    ...overrides,
  };
}

/**
 * A completed three-stage run whose counts all balance: 1,000 items, 10 fail in fetch,
 * 90 are filtered, 900 are batched into 2 batches that a forEach consumes.
 */
export function runSummary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    outcome: "completed",
    pulled: 1_000,
    delivered: 0,
    consumed: 2,
    undelivered: 0,
    stages: [
      stageStats(),
      stageStats({
        name: "validate",
        kind: "filter",
        concurrency: 16,
        buffer: 32,
        in: 990,
        out: 900,
        filtered: 90,
        failed: 0,
        emitted: 900,
        maxInFlight: 1,
      }),
      stageStats({
        name: "batch",
        kind: "batch",
        concurrency: 1,
        ordered: true,
        buffer: 2,
        in: 900,
        out: 900,
        failed: 0,
        emitted: 2,
        maxInFlight: 0,
      }),
      stageStats({
        name: "write",
        kind: "forEach",
        concurrency: 1,
        buffer: 2,
        in: 2,
        out: 2,
        failed: 0,
        emitted: 0,
        maxInFlight: 1,
      }),
    ],
    durationMs: 250.4,
    itemsPerSecond: 3_993.6,
    ...overrides,
  };
}
