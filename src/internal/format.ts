/**
 * Number and duration formatting shared by the terminal renderers. Fixed to `en-US` so the
 * output (and the tests that read it) does not change with the user's locale.
 */

const counts = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** An integer with thousands separators: `200000` → `"200,000"`. */
export function formatCount(value: number): string {
  return counts.format(value);
}

/** A count and a noun that agrees with it: `1 record`, `2 records`. */
export function formatCountOf(value: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(value)} ${value === 1 ? singular : plural}`;
}

/**
 * A number in a short form that keeps a column's width steady: `850`, `98.7k`, `1.23M`
 * (three significant digits are enough to see a trend); `-` for one that is not finite or
 * below zero.
 */
export function formatShort(value: number): string {
  if (!Number.isFinite(value) || value < 0) return "-";
  // Thresholds at x99.5 so that rounding never shows "1000k" instead of "1.00M".
  if (value < 999.5) return `${Math.round(value)}`;
  if (value < 999_500) return `${significant(value / 1_000)}k`;
  return `${significant(value / 1_000_000)}M`;
}

/** A rate in a short form that fits a progress line: `850/s`, `98.7k/s`, `1.23M/s`. */
export function formatRate(perSecond: number): string {
  const short = formatShort(perSecond);
  return short === "-" ? short : `${short}/s`;
}

/** Milliseconds as a whole number with separators: `1234.6` → `"1,235 ms"`. */
export function formatMs(ms: number): string {
  return `${formatCount(Math.round(ms))} ms`;
}

/** Elapsed time for a progress line, in seconds with one decimal: `1234` → `"1.2s"`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1_000).toFixed(1)}s`;
}

function significant(value: number): string {
  // toPrecision switches to exponent notation from 1000 up; beyond that, whole numbers.
  return value < 999.5 ? value.toPrecision(3) : value.toFixed(0);
}
