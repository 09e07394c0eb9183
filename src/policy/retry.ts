import type { Duration } from "../internal/duration.js";
import {
  checkOptionsObject,
  durationOption,
  hasMethods,
  integerOption,
  invalid,
  optionalFunction,
} from "../internal/validate.js";
import { fullJitterDelay } from "./backoff.js";
import { type Clock, clockOption } from "./clock.js";
import type { ExecuteOptions, Policy, PolicyFunction } from "./policy.js";
import { type RetryBudget, retryBudget } from "./retry-budget.js";
import { sleep } from "./sleep.js";

/** Defaults for {@link retry}. */
export const retryDefaults = Object.freeze({
  /** The base delay of the backoff, in ms. */
  backoff: 100,
  /** The cap on one backoff delay, in ms. */
  maxDelay: 30_000,
});

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Attempts in all, the first included (1: no retry). Required; integer >= 1. */
  readonly attempts: number;
  /**
   * The base delay, in ms or a string such as `"100ms"`: the delay before attempt n + 1 is
   * `random() × min(maxDelay, backoff × 2^(n − 1))` (full jitter). Default 100 ms; > 0.
   */
  readonly backoff?: Duration;
  /** The cap on one delay, in ms or a string such as `"30s"`. Default 30 s; > 0. */
  readonly maxDelay?: Duration;
  /**
   * Whether a failed attempt may be retried, given its error and its number (from 1). Default:
   * every error except one named `"AbortError"`. A call whose caller's signal has aborted is
   * never retried.
   */
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
  /**
   * A retry budget: a ratio from 0 to 1 makes one for this policy (with the defaults of
   * `retryBudget()` and this policy's clock); a `RetryBudget` from `retryBudget()` (or your own)
   * can be shared by several policies. Default: no budget.
   */
  readonly budget?: number | RetryBudget;
  /** The clock the delays run on. Default: the system clock. */
  readonly clock?: Clock;
  /** The jitter source, returning a number in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * A policy that runs a call up to `attempts` times, waiting an exponential backoff with full
 * jitter between attempts. `ctx.attempt` tells the function which attempt it is (from 1);
 * every attempt gets the caller's signal.
 *
 * It stops, and rejects with the last attempt's error unchanged, when the attempts are used up,
 * `retryIf` says no, the caller's signal has aborted, or the budget has no retry left (then at
 * once, with no delay). The error is not wrapped and nothing is attached to it, so a caller
 * catches exactly what the function threw (an error may be frozen, shared or not an object).
 * When the caller's signal aborts during a delay, the call rejects at once with the signal's
 * reason and the timer is cleared.
 *
 * Waits for: each attempt in turn, and each delay. Cost per call: one promise per attempt, one
 * timer per retry, and one AbortController when the caller passes no signal.
 */
export function retry(options: RetryOptions): Policy {
  const raw = checkOptionsObject("retry", options, [
    "attempts",
    "backoff",
    "maxDelay",
    "retryIf",
    "budget",
    "clock",
    "random",
  ]);
  // Required: undefined gets the same sentence as any other wrong value.
  if (raw.attempts === undefined) throw invalid("retry.attempts", "an integer >= 1", undefined);
  const attempts = integerOption("retry.attempts", raw.attempts, 1, 1);
  const backoff = durationOption("retry.backoff", raw.backoff, retryDefaults.backoff);
  const maxDelay = durationOption("retry.maxDelay", raw.maxDelay, retryDefaults.maxDelay);
  const retryIf =
    optionalFunction<(error: unknown, attempt: number) => boolean>("retry.retryIf", raw.retryIf) ??
    isRetryable;
  const clock = clockOption("retry.clock", raw.clock);
  const random = optionalFunction<() => number>("retry.random", raw.random) ?? Math.random;
  const budget = budgetOption(raw.budget, clock);
  return new RetryPolicy({ attempts, backoff, maxDelay, retryIf, budget, clock, random });
}

function budgetOption(value: unknown, clock: Clock): RetryBudget | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number" && value >= 0 && value <= 1) {
    return retryBudget({ ratio: value, clock });
  }
  if (hasMethods(value, ["recordFirst", "tryRetry"])) return value as RetryBudget;
  throw invalid("retry.budget", "a number from 0 to 1 or a RetryBudget", value);
}

/** The default `retryIf`: anything but an abort. */
function isRetryable(error: unknown): boolean {
  return (error as { name?: unknown } | null | undefined)?.name !== "AbortError";
}

interface Settings {
  readonly attempts: number;
  readonly backoff: number;
  readonly maxDelay: number;
  readonly retryIf: (error: unknown, attempt: number) => boolean;
  readonly budget: RetryBudget | undefined;
  readonly clock: Clock;
  readonly random: () => number;
}

class RetryPolicy implements Policy {
  readonly #s: Settings;

  constructor(settings: Settings) {
    this.#s = settings;
  }

  async execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T> {
    const s = this.#s;
    // A signal of its own when the caller has none: listeners a function adds and never
    // removes then die with the call, instead of piling up on one shared signal.
    const signal = options?.signal ?? new AbortController().signal;
    signal.throwIfAborted();
    s.budget?.recordFirst();
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn({ signal, attempt });
      } catch (error) {
        // The order matters: the budget is asked last, so a retry that would not have been
        // made anyway (attempts used up, not retryable, aborted) does not spend it.
        if (
          attempt >= s.attempts ||
          signal.aborted ||
          !s.retryIf(error, attempt) ||
          (s.budget !== undefined && !s.budget.tryRetry())
        ) {
          throw error;
        }
        await sleep(s.clock, fullJitterDelay(attempt, s.backoff, s.maxDelay, s.random), signal);
      }
    }
  }
}
