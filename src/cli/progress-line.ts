import type { RunSummary, StageStats } from "../index.js";
import { formatCount, formatRate, formatSeconds } from "../internal/format.js";
import { type Column, renderTable, truncate } from "../internal/text-table.js";

/**
 * Items per second each stage took in since `previous`, or since the start of the run when
 * there is no previous snapshot. Rates come from snapshot deltas, not per-item callbacks:
 * reading `run.stats()` is the only cost of watching a run.
 */
export function stageRates(current: RunSummary, previous: RunSummary | undefined): number[] {
  const elapsed = current.durationMs - (previous?.durationMs ?? 0);
  return current.stages.map((stage, i) => {
    if (elapsed <= 0) return 0;
    const before = previous?.stages[i]?.in ?? 0;
    return ((stage.in - before) * 1_000) / elapsed;
  });
}

/** Source items per second since `previous` (or since the start). */
export function sourceRate(current: RunSummary, previous: RunSummary | undefined): number {
  const elapsed = current.durationMs - (previous?.durationMs ?? 0);
  if (elapsed <= 0) return 0;
  return ((current.pulled - (previous?.pulled ?? 0)) * 1_000) / elapsed;
}

const BLOCK_COLUMNS: readonly Column[] = [
  { header: "stage", align: "left" },
  { header: "kind", align: "left" },
  { header: "in", align: "right" },
  { header: "out", align: "right" },
  { header: "in flight", align: "right" },
  { header: "rate", align: "right" },
];

/**
 * The multi-line progress view for a terminal: a header with elapsed time, source items
 * pulled and their rate, then one row per stage (in, out, in flight / concurrency, items/s).
 * Every line is cut to `width` characters, because a wrapped line would break the
 * cursor-up arithmetic that redraws the block in place.
 */
export function renderProgressBlock(
  current: RunSummary,
  previous: RunSummary | undefined,
  width = Number.POSITIVE_INFINITY,
): string[] {
  const rates = stageRates(current, previous);
  const rows = current.stages.map((stage, i) => [
    stage.name,
    stage.kind,
    formatCount(stage.in),
    formatCount(stage.out),
    inFlight(stage),
    formatRate(rates[i] ?? 0),
  ]);
  const lines = [header(current, previous), ...renderTable(BLOCK_COLUMNS, rows).map(indent)];
  return lines.map((line) => truncate(line, width));
}

/**
 * The one-line progress view for logs and pipes:
 * `[1.0s] pulled 98,304 (98.3k/s) | fetch 98,304→98,100 64/64 98.3k/s | ...`.
 */
export function renderProgressLine(current: RunSummary, previous: RunSummary | undefined): string {
  const rates = stageRates(current, previous);
  const stages = current.stages.map(
    (stage, i) =>
      `${stage.name} ${formatCount(stage.in)}→${formatCount(stage.out)} ${inFlight(stage)} ${formatRate(rates[i] ?? 0)}`,
  );
  return [
    `[${formatSeconds(current.durationMs)}] pulled ${formatCount(current.pulled)} (${formatRate(sourceRate(current, previous))})`,
    ...stages,
  ].join(" | ");
}

function header(current: RunSummary, previous: RunSummary | undefined): string {
  return `running ${formatSeconds(current.durationMs)} · pulled ${formatCount(current.pulled)} · ${formatRate(sourceRate(current, previous))}`;
}

/** `inFlight/concurrency`; a batch stage has no function to be inside, so it shows `-`. */
function inFlight(stage: StageStats): string {
  return stage.kind === "batch" ? "-" : `${stage.inFlight}/${stage.concurrency}`;
}

function indent(line: string): string {
  return `  ${line}`;
}
