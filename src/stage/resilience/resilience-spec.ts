import type { FunctionKind } from "../../contract/stage-spec.js";
import { InvalidOptionError } from "../../errors/invalid-option-error.js";
import {
  checkOptionsObject,
  durationExpectation,
  durationOption,
  hasMethods,
  integerOption,
  invalid,
  numberOption,
  optionalFunction,
} from "../../internal/validate.js";
import { type BreakerSettings, breakerSettings } from "../../policy/circuit-breaker.js";
import { type Clock, clockOption } from "../../policy/clock.js";
import { parseHedgeAfter } from "../../policy/hedge-trigger.js";
import type { RetryBudget } from "../../policy/retry-budget.js";
import { retryDefaults } from "../../policy/retry.js";

/** A stage's `retry`, checked. */
export interface StageRetrySpec {
  readonly attempts: number;
  readonly backoff: number;
  readonly maxDelay: number;
  readonly retryIf: (error: unknown, attempt: number) => boolean;
  /** A ratio (each run makes its own budget) or a budget shared across stages and runs. */
  readonly budget: number | RetryBudget | undefined;
  readonly random: () => number;
}

/** A stage's `hedge`, checked. */
export interface StageHedgeSpec {
  readonly after: number | { readonly quantile: number };
  readonly budget: number;
}

/** A stage's `breaker`, checked. */
export interface StageBreakerSpec {
  readonly settings: BreakerSettings;
  readonly key: ((item: unknown) => unknown) | undefined;
}

/**
 * The resilience options of a function stage, checked: `undefined` on the spec when it sets
 * none, so such a stage runs its plain path.
 */
export interface ResilienceSpec {
  readonly clock: Clock;
  /** Ms an attempt may run; `Infinity` without a `timeout`. */
  readonly timeoutMs: number;
  readonly retry: StageRetrySpec | undefined;
  readonly hedge: StageHedgeSpec | undefined;
  readonly breaker: StageBreakerSpec | undefined;
  readonly dedupe: ((item: unknown) => unknown) | undefined;
}

const RETRY_KEYS = ["attempts", "backoff", "maxDelay", "retryIf", "budget", "random"] as const;
const HEDGE_KEYS = ["after", "budget"] as const;
/** The default share of calls a stage may hedge. */
const DEFAULT_HEDGE_BUDGET = 0.05;

/** The raw options this file reads, as the stage's options object holds them. */
export interface RawResilienceOptions {
  readonly timeout?: unknown;
  readonly retry?: unknown;
  readonly hedge?: unknown;
  readonly breaker?: unknown;
  readonly dedupe?: unknown;
  readonly clock?: unknown;
}

/**
 * Checks a function stage's `timeout`, `retry`, `hedge`, `breaker`, `dedupe` and `clock`.
 * `where` says why they cannot apply (a flatMap, a thread stage), when they cannot.
 */
export function resilienceSpec(
  kind: FunctionKind,
  raw: RawResilienceOptions,
  refusal: string | undefined,
): ResilienceSpec | undefined {
  const given = (["timeout", "retry", "hedge", "breaker", "dedupe"] as const).filter(
    (key) => raw[key] !== undefined,
  );
  if (given.length === 0) {
    if (raw.clock !== undefined) clockOption(`${kind}.clock`, raw.clock);
    return undefined;
  }
  if (refusal !== undefined) {
    const key = given[0]!;
    throw new InvalidOptionError(
      `Option \`${kind}.${key}\` ${refusal}`,
      `${kind}.${key}`,
      raw[key],
    );
  }
  const clock = clockOption(`${kind}.clock`, raw.clock);
  return Object.freeze({
    clock,
    timeoutMs: timeoutOption(`${kind}.timeout`, raw.timeout),
    retry: retryOption(`${kind}.retry`, raw.retry),
    hedge: hedgeOption(`${kind}.hedge`, raw.hedge),
    breaker: breakerOption(`${kind}.breaker`, raw.breaker),
    dedupe: optionalFunction<(item: unknown) => unknown>(`${kind}.dedupe`, raw.dedupe),
  });
}

function timeoutOption(path: string, value: unknown): number {
  if (value === undefined) return Infinity;
  if (value === Infinity) throw invalid(path, durationExpectation(), value);
  return durationOption(path, value, Infinity);
}

function retryOption(path: string, value: unknown): StageRetrySpec | undefined {
  if (value === undefined) return undefined;
  const raw = checkOptionsObject(path, value, RETRY_KEYS);
  if (raw.attempts === undefined) throw invalid(`${path}.attempts`, "an integer >= 1", undefined);
  return Object.freeze({
    attempts: integerOption(`${path}.attempts`, raw.attempts, 1, 1),
    backoff: durationOption(`${path}.backoff`, raw.backoff, retryDefaults.backoff),
    maxDelay: durationOption(`${path}.maxDelay`, raw.maxDelay, retryDefaults.maxDelay),
    retryIf:
      optionalFunction<(error: unknown, attempt: number) => boolean>(
        `${path}.retryIf`,
        raw.retryIf,
      ) ?? isRetryable,
    budget: budgetOption(`${path}.budget`, raw.budget),
    random: optionalFunction<() => number>(`${path}.random`, raw.random) ?? Math.random,
  });
}

function budgetOption(path: string, value: unknown): number | RetryBudget | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number" && value >= 0 && value <= 1) return value;
  if (hasMethods(value, ["recordFirst", "tryRetry"])) return value as RetryBudget;
  throw invalid(path, "a number from 0 to 1 or a RetryBudget", value);
}

/** The default `retryIf`: anything but an abort. */
function isRetryable(error: unknown): boolean {
  return (error as { name?: unknown } | null | undefined)?.name !== "AbortError";
}

function hedgeOption(path: string, value: unknown): StageHedgeSpec | undefined {
  if (value === undefined) return undefined;
  const raw = checkOptionsObject(path, value, HEDGE_KEYS);
  return Object.freeze({
    after: parseHedgeAfter(`${path}.after`, raw.after),
    budget: numberOption(`${path}.budget`, raw.budget, DEFAULT_HEDGE_BUDGET, 0, 1),
  });
}

function breakerOption(path: string, value: unknown): StageBreakerSpec | undefined {
  if (value === undefined) return undefined;
  const { key, ...settings } = breakerSettings(path, value);
  return Object.freeze({ settings, key });
}
