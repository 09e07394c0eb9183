import { InvalidOptionError } from "../errors/invalid-option-error.js";
import {
  booleanOption,
  checkOptionsObject,
  concurrencyOption,
  durationOption,
  enumOption,
  functionArgument,
  integerOption,
  optionalFunction,
  stringOption,
} from "../internal/validate.js";
import type { StageSpec } from "../stage/stage-spec.js";
import { defaults } from "./defaults.js";
import type { StageKind } from "./summary.js";
import type { DeadLetter, StageFn } from "./types.js";

const STAGE_KEYS = ["concurrency", "ordered", "buffer", "name", "onError", "deadLetter"] as const;
const BATCH_KEYS = ["size", "maxWait", "buffer", "name"] as const;
const ERROR_POLICIES = ["fail", "skip", "collect"] as const;

/** Validates a function stage's arguments and freezes them into a spec. */
export function functionStageSpec(
  kind: Exclude<StageKind, "batch">,
  position: number,
  fn: unknown,
  options: unknown,
): StageSpec {
  const checkedFn = functionArgument<StageFn<unknown, unknown>>(`${kind}.fn`, fn);
  const raw = checkOptionsObject(kind, options, STAGE_KEYS);
  const concurrency = concurrencyOption(
    `${kind}.concurrency`,
    raw.concurrency,
    defaults.concurrency,
  );
  const onError = enumOption(`${kind}.onError`, raw.onError, ERROR_POLICIES, defaults.onError);
  const deadLetter = optionalFunction<DeadLetter<unknown>>(`${kind}.deadLetter`, raw.deadLetter);
  if (deadLetter !== undefined && onError !== "skip") {
    throw new InvalidOptionError(
      `Option \`${kind}.deadLetter\` applies only with \`onError: "skip"\`, got \`onError: "${onError}"\``,
      `${kind}.deadLetter`,
      deadLetter,
    );
  }
  return Object.freeze({
    kind,
    name: stringOption(`${kind}.name`, raw.name, `${kind}#${position}`),
    fn: checkedFn,
    concurrency,
    ordered: booleanOption(`${kind}.ordered`, raw.ordered, defaults.ordered),
    buffer: integerOption(
      `${kind}.buffer`,
      raw.buffer,
      Math.max(concurrency * defaults.bufferPerWorker, defaults.minBuffer),
      1,
    ),
    onError,
    deadLetter,
    size: 0,
    maxWait: Number.POSITIVE_INFINITY,
  });
}

/** Validates `batch()` options and freezes them into a spec. */
export function batchStageSpec(position: number, options: unknown): StageSpec {
  if (options === undefined) {
    throw new InvalidOptionError(
      "Expected `batch` options with `size` (an integer >= 1), got `undefined` (undefined)",
      "batch",
      options,
    );
  }
  const raw = checkOptionsObject("batch", options, BATCH_KEYS);
  if (raw.size === undefined) {
    throw new InvalidOptionError(
      "Expected `batch.size` to be an integer >= 1, got `undefined` (undefined)",
      "batch.size",
      undefined,
    );
  }
  return Object.freeze({
    kind: "batch",
    name: stringOption("batch.name", raw.name, `batch#${position}`),
    fn: undefined,
    concurrency: 1,
    ordered: true,
    buffer: integerOption("batch.buffer", raw.buffer, defaults.batchBuffer, 1),
    onError: "fail",
    deadLetter: undefined,
    size: integerOption("batch.size", raw.size, 1, 1),
    maxWait: durationOption("batch.maxWait", raw.maxWait, Number.POSITIVE_INFINITY),
  });
}
