/**
 * The Limiter seam: what decides how many items of a stage may be inside its function at
 * once. A stage asks its limiter before it starts an item (through its dispatch gate) and
 * reports every finished async call to it; the limiter answers with a new limit.
 * @module
 */

/**
 * Decides a function stage's width while the run goes. Pass one as a stage's `concurrency`:
 * `aimd()` and `gradient()` build the two that sluice ships, and any object with this shape
 * works. One limiter belongs to one stage: a limiter given to two stages shares one limit
 * between them, which is rarely what is meant.
 *
 * The stage reads {@link Limiter.limit} after every {@link Limiter.onSample} call and starts an
 * item only while fewer than that many are in flight. It clamps the limit to `1..max` and
 * rounds it down, so a limiter may keep a fractional estimate.
 */
export interface Limiter {
  /** The number of calls that may be in flight now. */
  readonly limit: number;
  /**
   * The largest limit this limiter will ever ask for: it sizes the stage's buffer and its
   * bound on memory (`max + buffer` items), as a static `concurrency` does.
   */
  readonly max: number;
  /**
   * One async call of the stage finished.
   * @param latency how long it took, in ms, or `NaN` when it was not timed: a stage times
   *   every call while calls take a millisecond or more, and 1 in 32 of them while they are
   *   faster, so the clock is not read twice per cheap item
   * @param inFlight how many calls were in flight when it started (itself included)
   * @param dropped whether it failed (threw, rejected or timed out) rather than succeeded
   * @param now the time it finished, in ms (`Date.now()`, which fake timers control)
   */
  onSample(latency: number, inFlight: number, dropped: boolean, now: number): void;
  /**
   * How full the stage's input is, every {@link observeEvery} ms while the stage runs (for a
   * limiter that follows the backlog, as `elastic()` does).
   * @param fill items waiting at the stage's input over what it holds, from 0 to 1 (an input
   *   read on demand, such as an array, is 1 while it has items)
   * @param now the time, in ms (`Date.now()`)
   */
  observeInput?(fill: number, now: number): void;
  /** Ms between {@link observeInput} calls; required with it. */
  readonly observeEvery?: number;
}

/** Whether `value` has a limiter's shape (checked when a stage is built). */
export function isLimiter(value: unknown): value is Limiter {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Limiter).onSample === "function" &&
    "limit" in value &&
    "max" in value
  );
}
