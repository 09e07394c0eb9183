import type { StageSpec } from "../contract/stage-spec.js";
import type { RunSummary } from "../contract/summary.js";
import type { Logger } from "./logger.js";

/** Logs a run's start at `info`: its stages, in order. */
export function logRunStarted(logger: Logger, specs: readonly StageSpec[]): void {
  logger.info(
    { stages: specs.map((spec) => ({ name: spec.name, kind: spec.kind })) },
    "sluice run started",
  );
}

/**
 * Logs a run's end: `info` when it completed, `warn` when it was cancelled (with the
 * reason), `error` when it failed (with the error, as `err` for pino's serializer). The
 * fields are the summary's counters, per stage too.
 */
export function logRunSettled(logger: Logger, summary: RunSummary): void {
  const fields: Record<string, unknown> = {
    outcome: summary.outcome,
    durationMs: Math.round(summary.durationMs),
    pulled: summary.pulled,
    delivered: summary.delivered,
    itemsPerSecond: Math.round(summary.itemsPerSecond),
    stages: summary.stages.map((stage) => ({
      name: stage.name,
      in: stage.in,
      out: stage.out,
      filtered: stage.filtered,
      failed: stage.failed,
      cancelled: stage.cancelled,
    })),
  };
  switch (summary.outcome) {
    case "failed":
      logger.error({ ...fields, err: summary.error }, "sluice run failed");
      break;
    case "cancelled":
      logger.warn({ ...fields, reason: summary.error }, "sluice run cancelled");
      break;
    default:
      logger.info(fields, "sluice run completed");
  }
}
