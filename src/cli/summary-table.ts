import type { RunSummary, StageStats } from "../index.js";
import { brokenHandoffs, isStageConserved } from "./conservation.js";
import { formatCount, formatMs, formatRate, formatShort } from "../internal/format.js";
import { type Column, renderTable } from "../internal/text-table.js";

interface SummaryColumn extends Column {
  readonly cell: (stage: StageStats, summary: RunSummary) => string;
}

const count = (pick: (stage: StageStats) => number) => (stage: StageStats) =>
  formatCount(pick(stage));

const COLUMNS: readonly SummaryColumn[] = [
  { header: "stage", align: "left", cell: (s) => s.name },
  { header: "kind", align: "left", cell: (s) => s.kind },
  { header: "concurrency", align: "right", cell: count((s) => s.concurrency) },
  // A batch stage reports no in-flight peak: it holds items in a batch, not in a function.
  {
    header: "peak",
    align: "right",
    cell: (s) => (s.kind === "batch" ? "-" : formatCount(s.maxInFlight)),
  },
  { header: "ordered", align: "left", cell: (s) => (s.ordered ? "yes" : "no") },
  { header: "buffer", align: "right", cell: count((s) => s.buffer) },
  { header: "in", align: "right", cell: count((s) => s.in) },
  { header: "out", align: "right", cell: count((s) => s.out) },
  // What the stage put out per second of the run: pages/s for a fetch, rows/s for a write.
  {
    header: "out/s",
    align: "right",
    cell: (s, summary) =>
      summary.durationMs > 0 ? formatShort((s.out * 1000) / summary.durationMs) : "-",
  },
  { header: "filtered", align: "right", cell: count((s) => s.filtered) },
  { header: "failed", align: "right", cell: count((s) => s.failed) },
  { header: "cancelled", align: "right", cell: count((s) => s.cancelled) },
  { header: "shed", align: "right", cell: count((s) => s.shed) },
  { header: "discarded", align: "right", cell: count((s) => s.discarded) },
  { header: "emitted", align: "right", cell: count((s) => s.emitted) },
  { header: "conserved", align: "left", cell: (s) => (isStageConserved(s) ? "✓" : "✗") },
];

/**
 * Renders a settled run's summary as text lines: a table with one row per stage (its
 * settings, its counters and a ✓/✗ for `in = out + filtered + failed + cancelled + shed`), then
 * the outcome, wall time, source items/s and the hand-off check between stages.
 *
 * The `discarded` and `shed` columns appear only when some stage counted such items (a run
 * that stopped early, a stage that shed load), so a plain run's table stays narrow. Pure: same summary, same lines.
 */
export function renderSummary(summary: RunSummary): string[] {
  // The shed and discarded columns appear only when some stage counted any.
  const shown = COLUMNS.filter(
    (column) =>
      (column.header !== "discarded" || summary.stages.some((stage) => stage.discarded > 0)) &&
      (column.header !== "shed" || summary.stages.some((stage) => stage.shed > 0)),
  );
  const columns = shown;
  const rows = summary.stages.map((stage) => columns.map((column) => column.cell(stage, summary)));
  return [...renderTable(columns, rows), "", ...renderSummaryFooter(summary)];
}

/**
 * The lines under the table: outcome with wall time and throughput, what reached the
 * consumer, and whether every hand-off between stages balanced.
 */
export function renderSummaryFooter(summary: RunSummary): string[] {
  const lines = [
    `${summary.outcome} in ${formatMs(summary.durationMs)} · ${formatCount(summary.pulled)} source items · ${formatRate(summary.itemsPerSecond)} · ${reachedTheEnd(summary)}`,
    summary.stages.some((stage) => stage.shed > 0)
      ? "conserved: in = out + filtered + failed + cancelled + shed, per stage"
      : "conserved: in = out + filtered + failed + cancelled, per stage",
  ];
  const broken = brokenHandoffs(summary);
  if (summary.stages.length > 0) {
    lines.push(
      broken.length === 0
        ? "hand-offs: ✓ every emitted value reached the next stage or was counted as discarded"
        : `hand-offs: ✗ ${broken.join("; ")}`,
    );
  }
  const deliveries = summary.deliveries;
  if (deliveries !== undefined) {
    // A broker worker: what it acked, and what the broker still holds for its group.
    lines.push(
      `deliveries: ${Object.entries(deliveries)
        .map(([name, count]) => `${name} ${formatCount(count)}`)
        .join(" · ")}`,
    );
  }
  for (const stage of summary.stages) {
    // A stage's failures by error class.
    if (stage.failedBy !== undefined) {
      const classes = Object.entries(stage.failedBy).sort(([, a], [, b]) => b - a);
      lines.push(
        `errors: ${stage.name} · ${classes.map(([name, n]) => `${name} ${formatCount(n)}`).join(" · ")}`,
      );
    }
    // A keyed or multi-tenant stage: how far one key or tenant backed up.
    if (stage.keys !== undefined && stage.keys.maxWaiting > 0) {
      lines.push(
        `keys: ${stage.name} · most waiting for one key ${formatCount(stage.keys.maxWaiting)}`,
      );
    }
    if (stage.tenants !== undefined) {
      const { shed, reaped } = stage.tenants;
      lines.push(
        `tenants: ${stage.name} · shed ${formatCount(shed)} · reaped ${formatCount(reaped)}`,
      );
    }
  }
  for (const branch of summary.branches ?? []) {
    // A tee, route or loop branch: what it was offered, and its own run's stages.
    const run = branch.run;
    const stages =
      run === undefined
        ? "not started"
        : `${run.outcome}: ${run.stages
            .map(
              (stage) =>
                `${stage.name} ${formatCount(stage.in)} → ${formatCount(stage.out)}${isStageConserved(stage) ? " ✓" : " ✗"}`,
            )
            .join(", ")}`;
    lines.push(
      `branch ${branch.name} (${branch.mode}): offered ${formatCount(branch.offered)}${branch.dropped > 0 ? ` · dropped ${formatCount(branch.dropped)}` : ""} · ${stages}`,
    );
  }
  return lines;
}

/** What came out of the pipeline's end: consumed by its forEach, or delivered to the consumer. */
function reachedTheEnd(summary: RunSummary): string {
  const last = summary.stages.at(-1);
  if (last?.kind === "forEach" && summary.delivered === 0) {
    return `${formatCount(summary.consumed)} consumed by ${last.name}`;
  }
  return `${formatCount(summary.delivered)} delivered`;
}
