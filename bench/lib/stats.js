/**
 * Small statistics and formatting helpers.
 * @module
 */

/** @param {number[]} xs */
export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Items per second, grouped by thousands: `1,234,567`. */
export function fmtRate(x) {
  return Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–";
}

/** A ratio as `1.23×`. */
export function fmtRatio(x) {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : "–";
}

/** A percentage as `98.5%`. */
export function fmtPct(x) {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "–";
}

/** Seconds as `1.23 s`. */
export function fmtSeconds(x) {
  return Number.isFinite(x) ? `${x.toFixed(2)} s` : "–";
}

/** Bytes (or kilobytes with `kb`) as megabytes `12.3`. */
export function fmtMb(bytes) {
  return Number.isFinite(bytes) ? (bytes / 1048576).toFixed(1) : "–";
}

/** A count such as 1000000 as `1M`, 300000 as `300k`. */
export function fmtCount(n) {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}
