import { integerOption, invalid } from "../internal/validate.js";

/** A limiter's checked `min`, `max` and `initial`. */
export interface LimiterBounds {
  readonly min: number;
  readonly max: number;
  readonly initial: number;
}

/**
 * Checks a limiter factory's `min` and `max` (required integers >= 1, `min <= max`) and its
 * `initial` (from `min` to `max`, default `min`); paths are `<factory>.min` and so on.
 */
export function limiterBounds(factory: string, raw: Record<string, unknown>): LimiterBounds {
  const min = requiredInteger(`${factory}.min`, raw.min);
  const max = requiredInteger(`${factory}.max`, raw.max);
  if (min > max) throw invalid(`${factory}.min`, `<= \`${factory}.max\` (${max})`, min);
  const initial = integerOption(`${factory}.initial`, raw.initial, min, min, max);
  return { min, max, initial };
}

function requiredInteger(path: string, value: unknown): number {
  if (value === undefined) throw invalid(path, "an integer >= 1", value);
  return integerOption(path, value, 1, 1);
}
