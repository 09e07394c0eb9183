import { type Executor, isExecutor } from "../contract/executor.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import {
  booleanOption,
  invalid,
  checkOptionsObject,
  concurrencyOption,
  durationOption,
  enumOption,
  functionArgument,
  integerOption,
  optionalFunction,
  stringOption,
} from "../internal/validate.js";
import type {
  BatchStageSpec,
  FunctionKind,
  FunctionStageSpec,
  KeySpec,
  ResourcesSpec,
  StepStageSpec,
  TenantsSpec,
} from "../contract/stage-spec.js";
import { limiterOption } from "../limit/limiter-option.js";
import { resilienceSpec } from "../stage/resilience/resilience-spec.js";
import type { RateLimitSpec } from "../limit/rate-gate.js";
import { defaults } from "./defaults.js";
import type { DeadLetter, StageFn } from "../contract/types.js";

const STAGE_KEYS = [
  "concurrency",
  "ordered",
  "buffer",
  "name",
  "onError",
  "deadLetter",
  "shed",
  "onShed",
  "weight",
  "rateLimit",
  "key",
  "perKey",
  "resources",
  "tenants",
  "timeout",
  "retry",
  "hedge",
  "breaker",
  "dedupe",
  "clock",
] as const;
const RATE_KEYS = ["rate", "per", "burst", "key"] as const;
/** A rate's default burst is what it earns in this many ms: one timer tick's worth. */
const DEFAULT_BURST_MS = 10;
const SHED_STRATEGIES = ["newest", "oldest", "random"] as const;
const BATCH_KEYS = ["size", "maxWait", "buffer", "name"] as const;
const ERROR_POLICIES = ["fail", "skip", "collect"] as const;

/** Validates a function stage's arguments and freezes them into a spec. */
export function functionStageSpec(
  kind: FunctionKind,
  position: number,
  fn: unknown,
  options: unknown,
): FunctionStageSpec {
  const executor = isExecutor(fn) ? fn : undefined;
  executor?.checkStage?.(kind);
  const checkedFn =
    executor === undefined
      ? functionArgument<StageFn<unknown, unknown>>(`${kind}.fn`, fn, "a function or thread()")
      : runsElsewhere;
  const raw = checkOptionsObject(kind, options, STAGE_KEYS);
  const limiter = limiterOption(`${kind}.concurrency`, raw.concurrency);
  if (limiter !== undefined && executor !== undefined) {
    throw new InvalidOptionError(
      `Option \`${kind}.concurrency\` takes a number or "cpus" on a thread stage, got a limiter: a thread stage's width is its threads' batches, and CPU-bound work has no latency to adapt to`,
      `${kind}.concurrency`,
      raw.concurrency,
    );
  }
  const concurrency =
    limiter === undefined
      ? concurrencyOption(
          `${kind}.concurrency`,
          raw.concurrency,
          executor === undefined ? defaults.concurrency : executor.defaultConcurrency(),
        )
      : limiter.max;
  const onError = enumOption(`${kind}.onError`, raw.onError, ERROR_POLICIES, defaults.onError);
  const deadLetter = optionalFunction<DeadLetter<unknown>>(`${kind}.deadLetter`, raw.deadLetter);
  if (deadLetter !== undefined && onError !== "skip") {
    throw new InvalidOptionError(
      `Option \`${kind}.deadLetter\` applies only with \`onError: "skip"\`, got \`onError: "${onError}"\``,
      `${kind}.deadLetter`,
      deadLetter,
    );
  }
  const shed =
    raw.shed === undefined
      ? undefined
      : enumOption(`${kind}.shed`, raw.shed, SHED_STRATEGIES, "newest");
  const onShed = optionalFunction<(item: unknown) => void>(`${kind}.onShed`, raw.onShed);
  const tenantsShed = (raw.tenants as { overflow?: unknown } | undefined)?.overflow === "shed";
  if (onShed !== undefined && shed === undefined && !tenantsShed) {
    throw new InvalidOptionError(
      `Option \`${kind}.onShed\` applies only with \`shed\` ("newest", "oldest" or "random") or \`tenants: { overflow: "shed" }\``,
      `${kind}.onShed`,
      onShed,
    );
  }
  const weight = optionalFunction<(item: unknown) => number>(`${kind}.weight`, raw.weight);
  if (weight !== undefined && executor !== undefined) {
    throw new InvalidOptionError(
      `Option \`${kind}.weight\` applies to stages that run on the event loop, not to a thread stage: its threads take items by the batch`,
      `${kind}.weight`,
      weight,
    );
  }
  const rateLimit = rateLimitOption(`${kind}.rateLimit`, raw.rateLimit);
  if (rateLimit !== undefined && executor !== undefined) {
    throw new InvalidOptionError(
      `Option \`${kind}.rateLimit\` applies to stages that run on the event loop, not to a thread stage: its threads take items by the batch`,
      `${kind}.rateLimit`,
      raw.rateLimit,
    );
  }
  const key = keyOption(kind, raw.key, raw.perKey, executor !== undefined);
  const resources = resourcesOption(kind, raw.resources, executor !== undefined);
  const buffer = integerOption(
    `${kind}.buffer`,
    raw.buffer,
    Math.max(concurrency * defaults.bufferPerWorker, defaults.minBuffer),
    1,
  );
  // A tenant's queue holds at most the stage's buffer by default.
  const tenants = tenantsOption(kind, raw, executor !== undefined, buffer);
  const resilience = resilienceSpec(
    kind,
    raw,
    executor !== undefined
      ? "applies to stages that run on the event loop; a thread stage takes `thread(url, { timeout })`, and its calls are CPU work that a retry or a hedge would only repeat"
      : kind === "flatMap"
        ? "applies to map, filter, tap and forEach, not to flatMap: a flatMap item may have emitted values before it failed, and another attempt would emit them again"
        : undefined,
  );
  return Object.freeze({
    kind,
    name: stringOption(`${kind}.name`, raw.name, `${kind}#${position}`),
    fn: checkedFn,
    executor,
    concurrency,
    limiter,
    ordered: booleanOption(`${kind}.ordered`, raw.ordered, defaults.ordered),
    buffer,
    onError,
    deadLetter,
    shed,
    onShed,
    weight,
    rateLimit,
    key,
    resources,
    tenants,
    resilience,
  });
}

const TENANT_KEYS = ["key", "concurrency", "queue", "overflow", "rate", "weights", "idle"] as const;

/** `tenants`, checked: not on a thread stage, nor beside `perKey`, `weight` or `rateLimit`. */
function tenantsOption(
  kind: FunctionKind,
  raw: Readonly<Record<string, unknown>>,
  onThreads: boolean,
  buffer: number,
): TenantsSpec | undefined {
  const value = raw.tenants;
  if (value === undefined) return undefined;
  const path = `${kind}.tenants`;
  if (onThreads) {
    throw new InvalidOptionError(
      `Option \`${path}\` applies to stages that run on the event loop, not to a thread stage: its threads take items by the batch`,
      path,
      value,
    );
  }
  for (const other of ["perKey", "weight", "rateLimit"] as const) {
    if (raw[other] !== undefined) {
      throw new InvalidOptionError(
        `Option \`${path}\` does not combine with \`${kind}.${other}\`: tenants have their own quota (\`concurrency\`, \`queue\`) and token bucket (\`rate\`) each`,
        path,
        value,
      );
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(path, "an options object with `key` and `concurrency`", value);
  }
  const checked = checkOptionsObject(path, value, TENANT_KEYS);
  const key = optionalFunction<(item: unknown) => unknown>(`${path}.key`, checked.key);
  if (key === undefined) {
    throw invalid(`${path}.key`, "a function item => its tenant", checked.key);
  }
  if (checked.concurrency === undefined) {
    throw invalid(
      `${path}.concurrency`,
      "an integer >= 1 (items of one tenant running at once)",
      checked.concurrency,
    );
  }
  const weights = checked.weights;
  if (
    weights !== undefined &&
    typeof weights !== "function" &&
    (typeof weights !== "object" ||
      weights === null ||
      Array.isArray(weights) ||
      !Object.values(weights).every((w) => typeof w === "number" && Number.isFinite(w) && w > 0))
  ) {
    throw invalid(
      `${path}.weights`,
      "a function tenant => weight, or an object { tenant: weight } of numbers > 0",
      weights,
    );
  }
  // `rate: 100` is `{ rate: 100 }`: starts per second.
  const rate = rateLimitOption(
    `${path}.rate`,
    typeof checked.rate === "number" ? { rate: checked.rate } : checked.rate,
  );
  if (rate?.key !== undefined) {
    throw invalid(
      `${path}.rate`,
      "{ rate, per?, burst? } (each tenant has its own bucket)",
      checked.rate,
    );
  }
  return Object.freeze({
    key,
    concurrency: integerOption(`${path}.concurrency`, checked.concurrency, 1, 1),
    queue: integerOption(`${path}.queue`, checked.queue, buffer, 1),
    overflow: enumOption(`${path}.overflow`, checked.overflow, ["block", "shed"] as const, "block"),
    rate:
      rate === undefined
        ? undefined
        : Object.freeze({ rate: rate.rate, perMs: rate.per, burst: rate.burst }),
    weights: weights as TenantsSpec["weights"],
    idleMs: durationOption(`${path}.idle`, checked.idle, 60_000),
  });
}

/** `resources`, checked: a function `(slot) => resource`, or `{ create, dispose? }`. */
function resourcesOption(
  kind: FunctionKind,
  value: unknown,
  onThreads: boolean,
): ResourcesSpec | undefined {
  if (value === undefined) return undefined;
  const path = `${kind}.resources`;
  if (onThreads) {
    throw new InvalidOptionError(
      `Option \`${path}\` applies to stages that run on the event loop; a thread stage makes each thread's state with its module's exported init(), as ctx.state`,
      path,
      value,
    );
  }
  if (typeof value === "function") {
    return Object.freeze({ create: value as (slot: number) => unknown, dispose: undefined });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(path, "a function (slot) => resource, or { create, dispose? }", value);
  }
  const raw = checkOptionsObject(path, value, ["create", "dispose"]);
  const create = optionalFunction<(slot: number) => unknown>(`${path}.create`, raw.create);
  if (create === undefined) {
    throw invalid(`${path}.create`, "a function (slot) => resource", raw.create);
  }
  return Object.freeze({
    create,
    dispose: optionalFunction<(resource: unknown, slot: number) => unknown>(
      `${path}.dispose`,
      raw.dispose,
    ),
  });
}

/** `key` with `perKey`, checked: both or neither, and not on a thread stage. */
function keyOption(
  kind: FunctionKind,
  keyOf: unknown,
  perKey: unknown,
  onThreads: boolean,
): KeySpec | undefined {
  if (keyOf === undefined && perKey === undefined) return undefined;
  const checkedKey = optionalFunction<(item: unknown) => unknown>(`${kind}.key`, keyOf);
  if (checkedKey === undefined) {
    throw new InvalidOptionError(
      `Option \`${kind}.key\` is needed with \`perKey\`: the function that gives each item its key, such as key: (item) => item.host`,
      `${kind}.key`,
      keyOf,
    );
  }
  if (perKey === undefined) {
    throw new InvalidOptionError(
      `Option \`${kind}.perKey\` is needed with \`key\`: how many items of one key may run at once (1 runs each key's items in order)`,
      `${kind}.perKey`,
      perKey,
    );
  }
  const checkedPerKey = integerOption(`${kind}.perKey`, perKey, 1, 1);
  if (onThreads) {
    throw new InvalidOptionError(
      `Option \`${kind}.perKey\` applies to stages that run on the event loop, not to a thread stage: its threads take items by the batch`,
      `${kind}.perKey`,
      perKey,
    );
  }
  return Object.freeze({ keyOf: checkedKey, perKey: checkedPerKey });
}

/** A `rateLimit` option, checked: `undefined` when not given. */
function rateLimitOption(path: string, value: unknown): RateLimitSpec | undefined {
  if (value === undefined) return undefined;
  const raw = checkOptionsObject(path, value, RATE_KEYS);
  const rate = raw.rate;
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0) {
    throw invalid(`${path}.rate`, "a number > 0", rate);
  }
  const per = durationOption(`${path}.per`, raw.per, 1_000);
  const burst = integerOption(
    `${path}.burst`,
    raw.burst,
    Math.max(1, Math.ceil((rate * DEFAULT_BURST_MS) / per)),
    1,
  );
  const key = optionalFunction<(item: unknown) => unknown>(`${path}.key`, raw.key);
  return Object.freeze({ rate, per, burst, key });
}

/** The `fn` of a stage whose executor runs its calls: the stage never calls it. */
function runsElsewhere(): never {
  throw new Error("sluice internal error: an executor's stage called its placeholder function");
}

/** Describes what runs a function stage's calls. */
export function executorDescription(executor: Executor | undefined): string {
  return executor === undefined ? "event loop" : executor.description;
}

/** Validates `batch()` options and freezes them into a spec. */
export function batchStageSpec(position: number, options: unknown): BatchStageSpec {
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
    buffer: integerOption("batch.buffer", raw.buffer, defaults.batchBuffer, 1),
    size: integerOption("batch.size", raw.size, 1, 1),
    maxWait: durationOption("batch.maxWait", raw.maxWait, Number.POSITIVE_INFINITY),
  });
}

const STEP_KEYS = ["name", "buffer"] as const;

/** Validates `take(n)` / `drop(n)`. */
export function countStageSpec(
  kind: "take" | "drop",
  position: number,
  count: unknown,
  options: unknown,
): StepStageSpec {
  const raw = checkOptionsObject(kind, options, STEP_KEYS);
  return Object.freeze({
    kind,
    name: stringOption(`${kind}.name`, raw.name, `${kind}#${position}`),
    buffer: integerOption(`${kind}.buffer`, raw.buffer, defaults.minBuffer, 1),
    count: countArgument(`${kind}.count`, count),
  });
}

/** Validates `scan(fn, initial)`. */
export function scanStageSpec(
  position: number,
  fn: unknown,
  initial: unknown,
  options: unknown,
): StepStageSpec {
  const checkedFn = functionArgument<
    (accumulator: unknown, item: unknown, index: number) => unknown
  >("scan.fn", fn);
  const raw = checkOptionsObject("scan", options, STEP_KEYS);
  return Object.freeze({
    kind: "scan",
    name: stringOption("scan.name", raw.name, `scan#${position}`),
    buffer: integerOption("scan.buffer", raw.buffer, defaults.minBuffer, 1),
    fn: checkedFn,
    initial,
  });
}

/** Validates `distinct(key?, options?)`. */
export function distinctStageSpec(position: number, key: unknown, options: unknown): StepStageSpec {
  const raw = checkOptionsObject("distinct", options, [...STEP_KEYS, "limit"] as const);
  return Object.freeze({
    kind: "distinct",
    name: stringOption("distinct.name", raw.name, `distinct#${position}`),
    buffer: integerOption("distinct.buffer", raw.buffer, defaults.minBuffer, 1),
    key: optionalFunction<(item: unknown) => unknown>("distinct.key", key),
    // Infinity is the default (every key), so it is accepted when given, as take/drop do.
    limit:
      raw.limit === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : integerOption("distinct.limit", raw.limit, Number.POSITIVE_INFINITY, 1),
  });
}

/** `take`/`drop`'s count: an integer >= 0, or `Infinity` (as the iterator helpers allow). */
function countArgument(path: string, value: unknown): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw invalid(path, "an integer >= 0 or Infinity", value);
  }
  return value;
}
