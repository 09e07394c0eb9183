import { invalid } from "../internal/validate.js";
import { isLimiter, type Limiter } from "./limiter.js";

/**
 * A stage's `concurrency` when it is an object: a {@link Limiter}, checked. `undefined` for
 * anything else (a number, `"cpus"`, a bad value), which the width check then takes.
 */
export function limiterOption(path: string, value: unknown): Limiter | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (!isLimiter(value)) {
    throw invalid(
      path,
      'an integer >= 1, "cpus", or a limiter (aimd(), gradient(), or an object with `limit`, `max` and `onSample()`)',
      value,
    );
  }
  if (!Number.isSafeInteger(value.max) || value.max < 1) {
    throw invalid(`${path}.max`, "an integer >= 1", value.max);
  }
  if (typeof value.limit !== "number" || !(value.limit >= 1)) {
    throw invalid(`${path}.limit`, "a number >= 1", value.limit);
  }
  if (value.observeInput !== undefined) {
    if (typeof value.observeInput !== "function") {
      throw invalid(`${path}.observeInput`, "a function", value.observeInput);
    }
    const every = value.observeEvery;
    if (typeof every !== "number" || !Number.isFinite(every) || every <= 0) {
      throw invalid(`${path}.observeEvery`, "a number of ms > 0", every);
    }
  }
  return value;
}
