import type { StageFn } from "../contract/types.js";
import { isThenable } from "../stage/thenable.js";

/**
 * Wraps a stage's function so that every call's duration, in ms, is pushed to `durations`:
 * from the call to its return for a sync function, to its settling for an async one. A
 * throw or a rejection is timed too, then passed on unchanged, so the stage's error policy
 * sees what it would have seen. A sync function stays sync (the stage keeps its promise-free
 * burst path); the cost is two clock reads per call and, for an async call,
 * one more `then`.
 */
export function timedFn(
  fn: StageFn<unknown, unknown>,
  durations: number[],
  clock: { now(): number } = performance,
): StageFn<unknown, unknown> {
  return function timed(item, ctx) {
    const start = clock.now();
    let result: unknown;
    try {
      result = fn(item, ctx);
    } catch (error) {
      durations.push(clock.now() - start);
      throw error;
    }
    if (!isThenable(result)) {
      durations.push(clock.now() - start);
      return result;
    }
    return result.then(
      (value) => {
        durations.push(clock.now() - start);
        return value;
      },
      (error: unknown) => {
        durations.push(clock.now() - start);
        throw error;
      },
    );
  };
}
