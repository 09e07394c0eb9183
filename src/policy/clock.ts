import { methodsOption } from "../internal/validate.js";

/**
 * The time a policy reads and the timers it sets. Every policy takes an optional `clock`, so
 * tests drive time by hand instead of waiting for it.
 */
export interface Clock {
  /** The current time in milliseconds (any origin; only differences are used). */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer set by `setTimeout`; a handle that already fired is ignored. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()` and the global timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as ReturnType<typeof setTimeout>),
});

/** Validates a `clock` option: an object with `now`, `setTimeout` and `clearTimeout`. */
export function clockOption(path: string, value: unknown): Clock {
  return methodsOption(
    path,
    value,
    ["now", "setTimeout", "clearTimeout"],
    "a clock (an object with now, setTimeout and clearTimeout)",
    systemClock,
  );
}
