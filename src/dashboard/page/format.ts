// Numbers for the page, fixed to en-US like the terminal's (src/internal/format.ts).

const counts = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** `200000` → `"200,000"`. */
export function formatCount(value: number): string {
  return counts.format(value);
}

/** Items per second in three significant digits: `850/s`, `98.7k/s`, `1.23M/s`. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return "-";
  if (perSecond < 999.5) return `${Math.round(perSecond)}/s`;
  if (perSecond < 999_500) return `${(perSecond / 1_000).toPrecision(3)}k/s`;
  return `${(perSecond / 1_000_000).toPrecision(3)}M/s`;
}

/** Elapsed time: `"12.3s"`, `"4m 05s"`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1_000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}
