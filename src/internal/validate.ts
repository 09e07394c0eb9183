import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { cpuQuota } from "./cpu-quota.js";
import { describeValue } from "./describe-value.js";
import { parseDuration } from "./duration.js";

/**
 * The one place options are checked. Every message has one shape:
 * ``Expected `<path>` to be <expectation>, got <value> (<type>)``.
 */
export function invalid(path: string, expectation: string, value: unknown): InvalidOptionError {
  return new InvalidOptionError(
    `Expected \`${path}\` to be ${expectation}, got ${describeValue(value)}`,
    path,
    value,
  );
}

/** Checks that `options` is a plain object (or undefined) whose keys are all known. */
export function checkOptionsObject(
  path: string,
  options: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw invalid(path, "an options object", options);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const hint = closest(key, known);
      throw new InvalidOptionError(
        `Unknown option \`${path}.${key}\`${hint === undefined ? "." : `; did you mean \`${hint}\`?`} Known options: ${known.join(", ")}`,
        `${path}.${key}`,
        (options as Record<string, unknown>)[key],
      );
    }
  }
  return options as Record<string, unknown>;
}

/** An integer `>= min` (and `<= max`), or the default when undefined. */
export function integerOption(
  path: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw invalid(path, `an integer ${range}`, value);
  }
  return value;
}

/**
 * A width: an integer `>= 1` (and `<= max`, when given), or `"cpus"` for the CPU quota.
 * `Infinity` is refused.
 */
export function concurrencyOption(
  path: string,
  value: unknown,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (value === "cpus") return cpuQuota();
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? ">= 1" : `from 1 to ${max}`;
    throw invalid(path, `an integer ${range} or "cpus"`, value);
  }
  return value;
}

/** A boolean, or the default when undefined. */
export function booleanOption(path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw invalid(path, "a boolean", value);
  return value;
}

/** A non-empty string, or the default when undefined. */
export function stringOption(path: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value.length === 0) {
    throw invalid(path, "a non-empty string", value);
  }
  return value;
}

/** One of the named strategies. */
export function enumOption<const T extends string>(
  path: string,
  value: unknown,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    throw invalid(path, `one of ${choices.map((c) => `"${c}"`).join(", ")}`, value);
  }
  return value as T;
}

/** A function (required). */
export function functionArgument<F>(path: string, value: unknown, expected = "a function"): F {
  if (typeof value !== "function") throw invalid(path, expected, value);
  return value as F;
}

/** An optional function. */
export function optionalFunction<F>(path: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  return functionArgument<F>(path, value);
}

/** A duration in milliseconds (number) or a string such as `"30s"`; `> 0` unless `min` says. */
export function durationOption(
  path: string,
  value: unknown,
  fallback: number,
  minExclusive = 0,
): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || !(ms > minExclusive))
    throw invalid(path, durationExpectation(minExclusive), value);
  return ms;
}

/** What {@link durationOption} expects, for a required duration that was left out. */
export function durationExpectation(minExclusive = 0): string {
  return `a duration > ${minExclusive} ms (a number of ms or a string such as "100ms", "30s")`;
}

/** An `AbortSignal`, or undefined. */
export function signalOption(path: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw invalid(path, "an AbortSignal", value);
  return value;
}

function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** A finite number from `min` to `max` (inclusive), or the default when undefined. */
export function numberOption(
  path: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= min && value <= max)) {
    throw invalid(path, `a number from ${min} to ${max}`, value);
  }
  return value;
}

/**
 * An object that has every one of `methods` as a function (checked by shape, so a user's own
 * implementation and one from another copy of sluice pass), or the default when undefined.
 */
export function methodsOption<T>(
  path: string,
  value: unknown,
  methods: readonly string[],
  expectation: string,
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!hasMethods(value, methods)) throw invalid(path, expectation, value);
  return value as T;
}

/** Whether `value` is an object with every one of `methods` as a function. */
export function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    methods.every((name) => typeof (value as Record<string, unknown>)[name] === "function")
  );
}
