// The text helpers in src/internal are plain, dependency-free functions (no commander, no
// terminal state); what `formatTune()` prints must look like the CLI's other tables.
import { formatCount, formatMs, formatRate } from "../internal/format.js";
import { renderTable } from "../internal/text-table.js";
import type { TuneResult } from "./tune.js";
import { tuneDefaults, type TuneRow } from "./tune-options.js";

const COLUMNS = [
  { header: "concurrency", align: "right" },
  { header: "items/s", align: "right" },
  { header: "p50", align: "right" },
  { header: "p99", align: "right" },
  { header: "mean", align: "right" },
  { header: "duration", align: "right" },
  { header: "", align: "left" },
] as const;

/**
 * Renders a {@link TuneResult} as plain text lines (no colour, no box drawing: it survives a
 * pipe and a CI log): a heading, one table row per trial with the knee marked, then a line
 * each for the knee, the Little's-law estimate with its numbers, and why the search stopped.
 * `sluice tune` prints exactly this.
 *
 * @example
 * console.log(formatTune(await tune(pipeline, { sample: 500 })).join("\n"));
 */
export function formatTune(result: TuneResult): string[] {
  const slo = result.slo === undefined ? "" : `, SLO p99 <= ${formatLatency(result.slo)}`;
  const rows = result.rows.map((row) => [
    formatCount(row.concurrency),
    formatRate(row.itemsPerSecond),
    formatLatency(row.p50Ms),
    formatLatency(row.p99Ms),
    formatLatency(row.meanMs),
    formatMs(row.durationMs),
    note(result, row),
  ]);
  return [
    `tune: stage "${result.stage}", ${formatCount(result.sample)} source items per trial${slo}`,
    ...renderTable(COLUMNS, rows),
    kneeLine(result),
    estimateLine(result),
    stopLine(result),
  ];
}

function note(result: TuneResult, row: TuneRow): string {
  if (row.concurrency === result.knee) return "<- knee";
  if (result.slo !== undefined && row.p99Ms > result.slo) return "p99 over the SLO";
  return "";
}

function kneeLine(result: TuneResult): string {
  const row = result.rows.find((each) => each.concurrency === result.knee);
  if (row === undefined) {
    return `knee: none (p99 at concurrency 1 was ${formatLatency(result.rows[0]?.p99Ms ?? Number.NaN)}, over the SLO of ${formatLatency(result.slo ?? Number.NaN)})`;
  }
  return `knee: concurrency ${formatCount(row.concurrency)} (${formatRate(row.itemsPerSecond)}, p99 ${formatLatency(row.p99Ms)}): the smallest width within ${percent(tuneDefaults.plateauGain)} of the best throughput${result.slo === undefined ? "" : " that met the SLO"}`;
}

function estimateLine(result: TuneResult): string {
  const meanMs = result.rows[0]?.meanMs ?? Number.NaN;
  const exact = (result.rate * meanMs) / 1000 / result.utilisation;
  // Two decimals, unless rounding them would hide why the ceiling is what it is (5.001 → 6).
  const shown =
    Math.max(1, Math.ceil(Number(exact.toFixed(2)))) === result.estimate
      ? exact.toFixed(2)
      : String(exact);
  return `estimate: concurrency ${formatCount(result.estimate)} = ceil(rate × mean latency / utilisation) = ceil(${formatNumber(result.rate)}/s × ${formatLatency(meanMs)} / ${result.utilisation}) = ceil(${shown}) (Little's law with headroom; the mean is at concurrency 1)`;
}

function stopLine(result: TuneResult): string {
  const last = result.rows.at(-1);
  if (last === undefined) return `stopped: ${result.stoppedBecause}`;
  switch (result.stoppedBecause) {
    case "slo":
      return `stopped: slo (p99 ${formatLatency(last.p99Ms)} at concurrency ${formatCount(last.concurrency)} passed the SLO of ${formatLatency(result.slo ?? Number.NaN)})`;
    case "plateau": {
      const before = result.rows.slice(0, -1);
      const best = before.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
      const gain = last.itemsPerSecond / best.itemsPerSecond - 1;
      return `stopped: plateau (concurrency ${formatCount(last.concurrency)} gained ${gain >= 0 ? "+" : ""}${percent(gain, 1)} over the best before it, ${formatRate(best.itemsPerSecond)} at concurrency ${formatCount(best.concurrency)}: under ${percent(tuneDefaults.plateauGain)})`;
    }
    case "max":
      return `stopped: max (concurrency ${formatCount(last.concurrency)} is the largest width allowed)`;
  }
}

/** A call's duration with three significant digits: `0.0123 ms`, `5.49 ms`, `1,250 ms`. */
function formatLatency(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  return ms < 999.5 ? `${ms.toPrecision(3)} ms` : formatMs(ms);
}

/** A rate for the formula: whole numbers with separators from 100 up, else 3 digits. */
function formatNumber(value: number): string {
  return value >= 100 ? formatCount(value) : value.toPrecision(3);
}

function percent(share: number, digits = 0): string {
  return `${(share * 100).toFixed(digits)}%`;
}
