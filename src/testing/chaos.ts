import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { type Duration, parseDuration } from "../internal/duration.js";
import {
  checkOptionsObject,
  invalid,
  numberOption,
  optionalFunction,
} from "../internal/validate.js";
import { type Clock, clockOption } from "../policy/clock.js";
import type { ExecuteOptions, Policy, PolicyFunction } from "../policy/policy.js";
import { sleep } from "../policy/sleep.js";
import { ChaosError } from "./chaos-error.js";
import { splitmix32 } from "./prng.js";

/** Defaults for {@link chaos}: a policy that does nothing until told to. */
export const chaosDefaults = Object.freeze({
  /** Share of calls that fail. */
  failRate: 0,
  /** Share of calls that hang until their signal aborts. */
  hangRate: 0,
  /** Delay before each call, in ms. */
  latency: 0,
  /** The seed of the fates. */
  seed: 1,
});

/** Options of {@link chaos}. */
export interface ChaosOptions {
  /** Share of calls that throw instead of running the function, from 0 to 1. Default 0. */
  readonly failRate?: number;
  /**
   * Delay before each call that does not hang: a duration in ms or a string such as `"20ms"`
   * (every call waits that long), or a `[min, max]` pair of them (each call waits a time drawn
   * evenly from min to max, `min <= max`). Default 0: no delay and no timer. >= 0.
   */
  readonly latency?: Duration | readonly [min: Duration, max: Duration];
  /**
   * Share of calls that hang, from 0 to 1: a hung call never runs the function and never
   * settles until its signal aborts, then rejects with the signal's reason (a caller that
   * passes no signal waits forever). Default 0. `failRate + hangRate` must be at most 1.
   */
  readonly hangRate?: number;
  /** The seed of the fates: an integer. The same seed gives the same fates. Default 1. */
  readonly seed?: number;
  /**
   * What a failed call throws, given the call's number (from 1). Default: a new
   * {@link ChaosError} (code `ERR_SLUICE_CHAOS`) naming the call and the seed.
   */
  readonly error?: (call: number) => unknown;
  /** The clock the latency runs on. Default: the system clock. */
  readonly clock?: Clock;
}

/** A {@link chaos} policy, with counts of what it did so far. */
export interface ChaosPolicy extends Policy {
  /** Calls to `execute` so far: the number the next call's fate is drawn for, minus one. */
  readonly calls: number;
  /** Calls failed on purpose so far (counted when they throw, after their latency). */
  readonly failures: number;
  /** Calls that hung so far (counted when they start hanging). */
  readonly hangs: number;
}

/** What one call of a chaos policy does. */
type Fate = "ok" | "fail" | "hang";

/**
 * A policy that makes calls fail, hang and slow down on purpose, deterministically: put it
 * innermost (`wrap(retry(...), timeout(...), chaos({...}))`, or around a fake dependency) to
 * test that retries, timeouts, error policies and dead letters do their job.
 *
 * Call n (from 1) draws its fate and its latency from positions 2n − 2 and 2n − 1 of a
 * splitmix32 stream seeded with `seed`: so the n-th call's fate depends only on the seed and
 * n, not on timing or on the order concurrent calls arrive in. The fate is "hang" when the
 * first draw is below `hangRate`, "fail" below `hangRate + failRate`, "ok" otherwise. A call
 * that does not hang then waits its latency on the clock and then throws `error(n)` (fail) or
 * runs the function (ok), passing on the caller's signal and attempt.
 *
 * When the caller's signal aborts (before the call or during its latency or hang), the call
 * rejects at once with the signal's reason, and its timer and listener are removed.
 *
 * Waits for: the latency, then the function. Cost per call: one promise, plus one timer and one
 * abort listener while a latency > 0 runs, or one listener while a call hangs.
 *
 * @throws {InvalidOptionError} on a bad option, or when `failRate + hangRate > 1`.
 */
export function chaos(options?: ChaosOptions): ChaosPolicy {
  const raw = checkOptionsObject("chaos", options, [
    "failRate",
    "latency",
    "hangRate",
    "seed",
    "error",
    "clock",
  ]);
  const failRate = numberOption("chaos.failRate", raw.failRate, chaosDefaults.failRate, 0, 1);
  const hangRate = numberOption("chaos.hangRate", raw.hangRate, chaosDefaults.hangRate, 0, 1);
  // One ulp of slack: 0.1 + 0.9 and the like may land a rounding step above 1.
  if (failRate + hangRate > 1 + Number.EPSILON) {
    throw new InvalidOptionError(
      `Expected \`chaos.failRate\` + \`chaos.hangRate\` to be at most 1, got ${failRate} + ${hangRate}`,
      "chaos.hangRate",
      raw.hangRate,
    );
  }
  const [minLatency, maxLatency] = latencyOption(raw.latency);
  const seed = seedOption(raw.seed);
  const error = optionalFunction<(call: number) => unknown>("chaos.error", raw.error);
  const clock = clockOption("chaos.clock", raw.clock);
  return new Chaos({
    failRate,
    hangRate,
    minLatency,
    maxLatency,
    seed,
    error: error ?? ((call) => new ChaosError(call, seed)),
    clock,
  });
}

const DURATION = 'a duration >= 0 ms (a number of ms or a string such as "20ms")';

/** `latency` as `[min, max]` in ms. */
function latencyOption(value: unknown): readonly [number, number] {
  if (value === undefined) return [chaosDefaults.latency, chaosDefaults.latency];
  if (Array.isArray(value)) {
    if (value.length !== 2) {
      throw invalid("chaos.latency", `${DURATION} or a [min, max] pair of them`, value);
    }
    const min = parseDuration(value[0]);
    if (min === undefined) throw invalid("chaos.latency[0]", DURATION, value[0]);
    const max = parseDuration(value[1]);
    if (max === undefined) throw invalid("chaos.latency[1]", DURATION, value[1]);
    if (min > max) throw invalid("chaos.latency[0]", `<= \`chaos.latency[1]\` (${max} ms)`, min);
    return [min, max];
  }
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw invalid("chaos.latency", `${DURATION} or a [min, max] pair of them`, value);
  }
  return [ms, ms];
}

function seedOption(value: unknown): number {
  if (value === undefined) return chaosDefaults.seed;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw invalid("chaos.seed", "an integer", value);
  }
  return value;
}

interface Settings {
  readonly failRate: number;
  readonly hangRate: number;
  readonly minLatency: number;
  readonly maxLatency: number;
  readonly seed: number;
  readonly error: (call: number) => unknown;
  readonly clock: Clock;
}

class Chaos implements ChaosPolicy {
  readonly #s: Settings;
  #calls = 0;
  #failures = 0;
  #hangs = 0;

  constructor(settings: Settings) {
    this.#s = settings;
  }

  get calls(): number {
    return this.#calls;
  }

  get failures(): number {
    return this.#failures;
  }

  get hangs(): number {
    return this.#hangs;
  }

  execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T> {
    const s = this.#s;
    // Numbered before anything else, aborted calls too: call n is the n-th execute, always.
    const call = ++this.#calls;
    const outer = options?.signal;
    if (outer?.aborted) return Promise.reject(outer.reason as unknown);
    const roll = splitmix32(s.seed, 2 * call - 2);
    const fate: Fate = roll < s.hangRate ? "hang" : roll < s.hangRate + s.failRate ? "fail" : "ok";
    if (fate === "hang") {
      this.#hangs++;
      return hang(outer);
    }
    // A signal of its own when the caller has none, as retry() does: listeners the function
    // adds and never removes then die with the call.
    const signal = outer ?? new AbortController().signal;
    const attempt = options?.attempt ?? 1;
    const go = (): T | PromiseLike<T> => {
      if (fate === "fail") {
        this.#failures++;
        throw s.error(call);
      }
      return fn({ signal, attempt });
    };
    const latency = s.minLatency + splitmix32(s.seed, 2 * call - 1) * (s.maxLatency - s.minLatency);
    // No latency, no timer: the call stays one promise, as cheap as wrap() of nothing.
    if (latency === 0) {
      try {
        return Promise.resolve(go());
      } catch (error) {
        return Promise.reject(error as unknown);
      }
    }
    return sleep(s.clock, latency, signal).then(go);
  }
}

/** A call that never settles, unless `signal` aborts: then it rejects with the reason. */
function hang<T>(signal: AbortSignal | undefined): Promise<T> {
  // Nothing to wait on: a promise that holds no timer and no listener, which the garbage
  // collector takes once the caller lets go of it.
  if (signal === undefined) return new Promise<T>(() => {});
  return new Promise<T>((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason as unknown), { once: true });
  });
}
