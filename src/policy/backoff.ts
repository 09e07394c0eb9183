/**
 * The delay before attempt `failed + 1`, after attempt `failed` failed: exponential backoff
 * with full jitter, `random() × min(maxDelay, backoff × 2^(failed − 1))`.
 *
 * Full jitter spreads retries of many callers that failed together over the whole interval,
 * which keeps them from arriving in waves ("Exponential Backoff And Jitter", AWS Architecture
 * Blog, 2015). `random()` is in [0, 1), so the delay is in [0, the cap).
 */
export function fullJitterDelay(
  failed: number,
  backoffMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  // 2 ** large is Infinity, and min() then picks maxDelay: no overflow to guard.
  return random() * Math.min(maxDelayMs, backoffMs * 2 ** (failed - 1));
}
