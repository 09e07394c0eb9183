import { InvalidOptionError } from "../errors/invalid-option-error.js";
import type { Duration } from "../internal/duration.js";
import {
  checkOptionsObject,
  durationOption,
  integerOption,
  invalid,
  optionalFunction,
} from "../internal/validate.js";

/** A circuit's state: `"closed"` lets calls through, `"open"` fails them fast, `"half-open"` lets probes through. */
export type CircuitState = "closed" | "open" | "half-open";

/** What `onStateChange` is told: the circuit of `key` went from `from` to `to`. */
export interface CircuitStateChange {
  /** The circuit's key; `undefined` for a breaker that is not keyed. */
  readonly key: unknown;
  readonly from: CircuitState;
  readonly to: CircuitState;
}

/** Defaults for a circuit breaker's options. */
export const breakerDefaults = Object.freeze({
  /** Consecutive failures that open a circuit, when neither `failures` nor `rate` is given. */
  failures: 5,
  /** The failure-rate mode's sliding window, in ms. */
  window: 10_000,
  /** The failure-rate mode's minimum calls in the window before it may open. */
  minCalls: 10,
  /** How long a circuit stays open before it lets a probe through, in ms. */
  halfOpenAfter: 30_000,
  /** Calls let through at once while half-open. */
  halfOpenProbes: 1,
  /** Keys whose state is held at most. */
  maxKeys: 10_000,
  /** The least time after which an unused key's state is dropped, in ms (or 5 × `window`). */
  idle: 60_000,
});

/**
 * The options of a circuit breaker, as a user writes them (a stage's `breaker` option; the
 * standalone `breaker()` takes them too, except `key`). One mode: `failures` (consecutive)
 * or `rate` (failure rate over a sliding window); `failures: 5` when neither is given.
 */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Integer >= 1; default 5 (when no `rate`). */
  readonly failures?: number;
  /**
   * The failure rate, > 0 and <= 1, that opens the circuit once `minCalls` calls have ended in
   * the `window`. Not with `failures`. Default: not this mode.
   */
  readonly rate?: number;
  /** Rate mode only: the sliding window, in ms or a string such as `"10s"`. Default 10 s; > 0. */
  readonly window?: Duration;
  /** Rate mode only: calls in the window before it may open. Default 10; integer >= 1. */
  readonly minCalls?: number;
  /** How long it stays open before a probe, in ms or a string such as `"30s"`. Default 30 s; > 0. */
  readonly halfOpenAfter?: Duration;
  /** Calls let through at once while half-open. Default 1; integer >= 1. */
  readonly halfOpenProbes?: number;
  /** Keys whose state is held at most. Default 10,000; integer >= 1. */
  readonly maxKeys?: number;
  /**
   * How long an unused key's state is kept, in ms or a string such as `"1m"`. Default the
   * larger of 60 s and 5 × `window`; > 0.
   */
  readonly idle?: Duration;
  /** Told of every state change, synchronously; it must not throw. Default: none. */
  readonly onStateChange?: (change: CircuitStateChange) => void;
  /** A stage's breaker: the key of an item's circuit. Default: one circuit for the stage. */
  readonly key?: (item: unknown) => unknown;
}

/** Validated circuit breaker settings, as `CircuitBreakers` takes them (durations in ms). */
export interface BreakerSettings {
  /** Consecutive-failure mode: failures that open the circuit. */
  readonly failures?: number;
  /** Failure-rate mode: the rate, > 0 and <= 1, that opens the circuit. */
  readonly rate?: number;
  /** Rate mode: the sliding window, in ms. */
  readonly window: number;
  /** Rate mode: calls in the window before it may open. */
  readonly minCalls: number;
  /** Ms an open circuit waits before it lets a probe through. */
  readonly halfOpenAfter: number;
  /** Probes let through at once while half-open. */
  readonly halfOpenProbes: number;
  /** Keys whose state is held at most. */
  readonly maxKeys: number;
  /** Ms after which an unused key's state may be dropped. */
  readonly idle: number;
  /** Told of every state change. */
  readonly onStateChange?: (change: CircuitStateChange) => void;
}

const KNOWN = [
  "failures",
  "rate",
  "window",
  "minCalls",
  "halfOpenAfter",
  "halfOpenProbes",
  "maxKeys",
  "idle",
  "onStateChange",
  "key",
];

/**
 * Validates a user's {@link CircuitBreakerOptions} at `path` (`"breaker"`,
 * `"map.breaker"`) and returns the settings with every default filled in, plus the `key`
 * function when one was given. `extra` lists further keys the caller accepts and checks
 * itself (the standalone policy's `clock`). A bad value throws an `InvalidOptionError` naming
 * the option path and the value.
 */
export function breakerSettings(
  path: string,
  value: unknown,
  extra: readonly string[] = [],
): BreakerSettings & { key?: (item: unknown) => unknown } {
  const raw = checkOptionsObject(path, value, [...KNOWN, ...extra]);
  if (raw.failures !== undefined && raw.rate !== undefined) {
    throw new InvalidOptionError(
      `Options \`${path}.failures\` and \`${path}.rate\` cannot be used together: a circuit opens on consecutive failures or on a failure rate, not both`,
      `${path}.rate`,
      raw.rate,
    );
  }
  if (raw.rate === undefined) {
    for (const name of ["window", "minCalls"]) {
      if (raw[name] === undefined) continue;
      throw new InvalidOptionError(
        `Option \`${path}.${name}\` applies only to the failure-rate mode; set \`${path}.rate\` too, or leave it out`,
        `${path}.${name}`,
        raw[name],
      );
    }
  }
  const rate = raw.rate;
  if (rate !== undefined && (typeof rate !== "number" || !(rate > 0 && rate <= 1))) {
    throw invalid(`${path}.rate`, "a number > 0 and <= 1", rate);
  }
  const mode =
    rate === undefined
      ? { failures: integerOption(`${path}.failures`, raw.failures, breakerDefaults.failures, 1) }
      : { rate };
  const window = durationOption(`${path}.window`, raw.window, breakerDefaults.window);
  const settings = {
    ...mode,
    window,
    minCalls: integerOption(`${path}.minCalls`, raw.minCalls, breakerDefaults.minCalls, 1),
    halfOpenAfter: durationOption(
      `${path}.halfOpenAfter`,
      raw.halfOpenAfter,
      breakerDefaults.halfOpenAfter,
    ),
    halfOpenProbes: integerOption(
      `${path}.halfOpenProbes`,
      raw.halfOpenProbes,
      breakerDefaults.halfOpenProbes,
      1,
    ),
    maxKeys: integerOption(`${path}.maxKeys`, raw.maxKeys, breakerDefaults.maxKeys, 1),
    idle: durationOption(`${path}.idle`, raw.idle, Math.max(breakerDefaults.idle, 5 * window)),
  };
  const onStateChange = optionalFunction<(change: CircuitStateChange) => void>(
    `${path}.onStateChange`,
    raw.onStateChange,
  );
  const key = optionalFunction<(item: unknown) => unknown>(`${path}.key`, raw.key);
  return {
    ...settings,
    ...(onStateChange === undefined ? {} : { onStateChange }),
    ...(key === undefined ? {} : { key }),
  };
}
