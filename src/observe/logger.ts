import { invalid } from "../internal/validate.js";

/** A log method in pino's shape: an object of fields first, then a message. */
export type LogMethod = (fields: object, message?: string) => void;

/**
 * What the `logger` option takes: a pino logger, or anything with the same four methods
 * (`fields, message`). sluice logs the run's start and end at `info` (a failed run at
 * `error`, a cancelled one at `warn`) and, with `logEvery`, one call in n per stage at
 * `debug` (a failed sampled call at `warn`).
 */
export interface Logger {
  readonly debug: LogMethod;
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
}

const kLogMethods = ["debug", "info", "warn", "error"] as const;

/** Checks `run({ logger })`: `undefined`, or an object with the four log methods. */
export function loggerOption(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  const expected = "a pino-compatible logger (an object with debug, info, warn and error methods)";
  if (typeof value !== "object" || value === null) throw invalid("run.logger", expected, value);
  for (const method of kLogMethods) {
    if (typeof (value as Record<string, unknown>)[method] !== "function") {
      throw invalid("run.logger", `${expected}; its \`${method}\` is not a function`, value);
    }
  }
  return value as Logger;
}
