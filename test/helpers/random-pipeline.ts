import fc from "fast-check";
import { aimd, from, type Pipeline, type StageContext } from "../../src/index.js";
import { type ThreadPool, thread } from "../../src/threads/index.js";
import { type DelayMode, delay, delayFor, hash } from "./delays.js";

/** One randomly drawn stage: a function stage or a step stage. */
export type StagePlan = FunctionStagePlan | StepStagePlan;

/** A randomly drawn `map`, `filter`, `flatMap` or `tap`. */
export interface FunctionStagePlan {
  readonly kind: "map" | "filter" | "flatMap" | "tap";
  readonly concurrency: number;
  readonly buffer: number;
  readonly ordered: boolean;
  readonly modes: readonly DelayMode[];
  /** Items whose hash is divisible by this fail (0: none); the stage skips them. */
  readonly failEvery: number;
  readonly salt: number;
  /** Runs on worker threads (`thread()`), when the pipeline is built with a pool. */
  readonly threaded?: boolean;
  /**
   * Flow control on an event-loop stage: an `aimd()` width (up to `concurrency`), weights
   * (1–3, within the width), or a per-key rate limit (about one start per ms per key). Or
   * resilience: `retry` (a quarter of the items fail their first attempt, under a timeout that
   * never fires) or `dedupe` (equal items in flight share a call); not on flatMap.
   */
  readonly control?:
    | "aimd"
    | "weight"
    | "rate"
    | "weight-rate"
    | "retry"
    | "dedupe"
    | "per-key"
    | "tenants"
    | "resources"
    | undefined;
}

/** Where threaded stages run: a shared pool and the worker module that plays a plan. */
export interface ThreadSetup {
  readonly pool: ThreadPool;
  readonly worker: URL;
}

/**
 * The stage name of a threaded plan: the plan itself, which the worker module reads back from
 * `ctx.stage` (a thread gets only the item and its context).
 */
export function planName(stage: FunctionStagePlan, position: number): string {
  return JSON.stringify({ position, ...stage });
}

/** A randomly drawn `take`, `drop`, `scan` or `distinct`: sync, one item at a time, in order. */
export interface StepStagePlan {
  readonly kind: "take" | "drop" | "scan" | "distinct";
  readonly buffer: number;
  /** take / drop: how many items (may be `Infinity`). */
  readonly count: number;
  /** distinct: keys are `item % keyModulo` (0: the item itself). */
  readonly keyModulo: number;
  /** distinct: most keys remembered (undefined: all). */
  readonly limit: number | undefined;
  /** scan: the initial accumulator. */
  readonly salt: number;
}

/** Whether a plan is a function stage (with a width, an `ordered` flag, failures). */
export function isFunctionPlan(stage: StagePlan): stage is FunctionStagePlan {
  return (
    stage.kind === "map" ||
    stage.kind === "filter" ||
    stage.kind === "flatMap" ||
    stage.kind === "tap"
  );
}

/** Counts how many calls of each stage are inside the function at once. */
export class InFlightProbe {
  readonly current: number[];
  readonly max: number[];

  constructor(stages: number) {
    this.current = new Array<number>(stages).fill(0);
    this.max = new Array<number>(stages).fill(0);
  }

  enter(stage: number): void {
    const now = ++this.current[stage]!;
    if (now > this.max[stage]!) this.max[stage] = now;
  }

  leave(stage: number): void {
    this.current[stage]!--;
  }
}

/** Function stages only. */
export const stagePlan: fc.Arbitrary<FunctionStagePlan> = fc.record({
  kind: fc.constantFrom("map", "filter", "flatMap", "tap"),
  concurrency: fc.integer({ min: 1, max: 8 }),
  buffer: fc.integer({ min: 1, max: 12 }),
  ordered: fc.boolean(),
  modes: fc.uniqueArray(fc.constantFrom<DelayMode>("sync", "micro", "turn", "timer"), {
    minLength: 1,
    maxLength: 3,
  }),
  failEvery: fc.constantFrom(0, 0, 3, 7),
  salt: fc.nat(1000),
  control: fc.constantFrom(
    undefined,
    undefined,
    undefined,
    "aimd",
    "weight",
    "rate",
    "weight-rate",
    "retry",
    "dedupe",
    "per-key",
    "tenants",
    "resources",
  ),
});

/** Step stages only. */
export const stepPlan: fc.Arbitrary<StepStagePlan> = fc.record({
  kind: fc.constantFrom("take", "drop", "scan", "distinct"),
  buffer: fc.integer({ min: 1, max: 12 }),
  count: fc.oneof(
    { weight: 6, arbitrary: fc.nat(40) },
    { weight: 1, arbitrary: fc.constant(Number.POSITIVE_INFINITY) },
  ),
  keyModulo: fc.constantFrom(0, 3, 7, 20),
  limit: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  salt: fc.nat(1000),
});

/** Any stage: mostly function stages, with step stages among them. */
export const anyStagePlan: fc.Arbitrary<StagePlan> = fc.oneof(
  { weight: 3, arbitrary: stagePlan },
  { weight: 2, arbitrary: stepPlan },
);

/**
 * What a run of `plan` can be checked against: `"exact"` when every value comes out in input
 * order (every function stage ordered), `"multiset"` when only the order may differ (no step
 * stage sees items in completion order), `"none"` when a step stage after an unordered stage
 * makes even the values depend on timing (which items a take passes, what a scan folds).
 */
export function comparable(plan: readonly StagePlan[]): "exact" | "multiset" | "none" {
  let unordered = false;
  for (const stage of plan) {
    if (isFunctionPlan(stage)) unordered ||= !stage.ordered;
    else if (unordered) return "none";
  }
  return unordered ? "multiset" : "exact";
}

/** What a stage does to one item, sequentially: the reference the runs are checked against. */
export function reference(plan: readonly StagePlan[], input: readonly number[]): number[] {
  let items = [...input];
  for (const stage of plan) {
    if (!isFunctionPlan(stage)) {
      items = stepReference(stage, items);
      continue;
    }
    const next: number[] = [];
    for (const item of items) {
      if (fails(stage, item)) continue;
      next.push(...transform(stage, item));
    }
    items = next;
  }
  return items;
}

/** Builds the pipeline for a plan; every function honours `ctx.signal` and reports to the probe. */
export function buildPipeline(
  plan: readonly StagePlan[],
  source: Parameters<typeof from<number>>[0],
  probe: InFlightProbe,
  sourceBuffer?: number,
  threads?: ThreadSetup,
): Pipeline<number> {
  let pipeline: Pipeline<number> = from(
    source,
    sourceBuffer === undefined ? undefined : { buffer: sourceBuffer },
  );
  plan.forEach((stage, position) => {
    if (!isFunctionPlan(stage)) {
      pipeline = addStep(pipeline, stage);
      return;
    }
    const options = {
      concurrency: stage.concurrency,
      buffer: stage.buffer,
      ordered: stage.ordered,
      onError: "skip" as const,
    };
    const resilient = stage.kind !== "flatMap";
    const controlled = {
      ...options,
      ...(stage.control === "retry" && resilient
        ? { retry: { attempts: 3, backoff: 1 }, timeout: 60_000 }
        : stage.control === "dedupe" && resilient
          ? { dedupe: (item: number) => item }
          : {}),
      ...(stage.control === "aimd"
        ? { concurrency: aimd({ min: 1, max: stage.concurrency }) }
        : stage.control === "weight"
          ? { weight: (item: number) => Math.min(stage.concurrency, 1 + (item % 3)) }
          : stage.control === "rate"
            ? { rateLimit: { rate: 1, per: 1, burst: 2, key: (item: number) => item % 3 } }
            : stage.control === "weight-rate"
              ? {
                  weight: (item: number) => Math.min(stage.concurrency, 1 + (item % 3)),
                  rateLimit: { rate: 1, per: 1, burst: 1, key: (item: number) => item % 2 },
                }
              : stage.control === "per-key"
                ? { key: (item: number) => item % 3, perKey: 1 }
                : stage.control === "tenants"
                  ? { tenants: { key: (item: number) => item % 4, concurrency: 1, queue: 3 } }
                  : stage.control === "resources"
                    ? { resources: (slot: number) => ({ slot }) }
                    : {}),
    };
    const flaky = stage.control === "retry" && resilient;
    const withResources = stage.control === "resources";
    const call = (item: number, ctx: StageContext): unknown => {
      probe.enter(position);
      if (withResources && (ctx.resource as { slot: number } | undefined)?.slot !== ctx.slot) {
        probe.leave(position);
        throw new Error(`slot ${ctx.slot} ran without its own resource`);
      }
      const pending = delay(delayFor(stage.modes, item, stage.salt), ctx.signal);
      if (flaky && ctx.attempt === 1 && hash(item, stage.salt + 1) % 4 === 0) {
        // A transient failure: the retry's second attempt goes through.
        const error = new Error(`flaky item ${item}`);
        if (pending === undefined) {
          probe.leave(position);
          throw error;
        }
        return pending.then(
          () => {
            probe.leave(position);
            throw error;
          },
          (abort: unknown) => {
            probe.leave(position);
            throw abort;
          },
        );
      }
      if (pending === undefined) {
        try {
          return finish(stage, item);
        } finally {
          probe.leave(position);
        }
      }
      return pending.then(
        () => {
          probe.leave(position);
          return finish(stage, item);
        },
        (error: unknown) => {
          probe.leave(position);
          throw error;
        },
      );
    };
    if (stage.threaded === true && threads !== undefined) {
      const task = thread<(item: number) => number>(threads.worker, { pool: threads.pool });
      const named = { ...options, name: planName(stage, position) };
      switch (stage.kind) {
        case "map":
          pipeline = pipeline.map(task, named);
          break;
        case "filter":
          pipeline = pipeline.filter(task, named);
          break;
        case "flatMap":
          pipeline = pipeline.flatMap(task, named) as Pipeline<number>;
          break;
        case "tap":
          pipeline = pipeline.tap(task, named);
          break;
      }
      return;
    }
    switch (stage.kind) {
      case "map":
        pipeline = pipeline.map((item, ctx) => call(item, ctx) as number, controlled);
        break;
      case "filter":
        pipeline = pipeline.filter((item, ctx) => call(item, ctx), controlled);
        break;
      case "flatMap":
        pipeline = pipeline.flatMap((item, ctx) => call(item, ctx) as number[], controlled);
        break;
      case "tap":
        pipeline = pipeline.tap((item, ctx) => call(item, ctx), controlled);
        break;
    }
  });
  return pipeline;
}

function addStep(pipeline: Pipeline<number>, stage: StepStagePlan): Pipeline<number> {
  const options = { buffer: stage.buffer };
  switch (stage.kind) {
    case "take":
      return pipeline.take(stage.count, options);
    case "drop":
      return pipeline.drop(stage.count, options);
    case "scan":
      return pipeline.scan((acc, item, index) => fold(acc, item, index), stage.salt, options);
    case "distinct":
      return pipeline.distinct(
        stage.keyModulo === 0 ? undefined : (item) => item % stage.keyModulo,
        stage.limit === undefined ? options : { ...options, limit: stage.limit },
      );
  }
}

/** The running fold the random scans compute. */
function fold(acc: number, item: number, index: number): number {
  return (acc * 31 + item + index) % 1_000_003;
}

/**
 * A step stage written the plain way, independent of the stage's code: slices, a loop fold,
 * and a distinct that keeps its remembered keys in an array.
 */
export function stepReference(stage: StepStagePlan, items: readonly number[]): number[] {
  switch (stage.kind) {
    case "take":
      return items.slice(0, stage.count);
    case "drop":
      return items.slice(stage.count);
    case "scan": {
      const out: number[] = [];
      let acc = stage.salt;
      items.forEach((item, index) => out.push((acc = fold(acc, item, index))));
      return out;
    }
    case "distinct":
      return distinctReference(
        items,
        (item) => (stage.keyModulo === 0 ? item : item % stage.keyModulo),
        stage.limit ?? Number.POSITIVE_INFINITY,
      );
  }
}

/**
 * `distinct` the slow way: the remembered keys in an array, least recently seen first; a key
 * seen again moves to the end, and past `limit` keys the first is forgotten.
 */
export function distinctReference<T>(
  items: readonly T[],
  key: (item: T) => unknown,
  limit: number,
): T[] {
  const out: T[] = [];
  const recent: unknown[] = [];
  for (const item of items) {
    const k = key(item);
    // SameValueZero, as a Set compares: NaN equals NaN, -0 equals 0.
    const at = recent.findIndex((seen) => seen === k || (Number.isNaN(seen) && Number.isNaN(k)));
    if (at >= 0) {
      recent.splice(at, 1);
      recent.push(k);
      continue;
    }
    out.push(item);
    recent.push(k);
    if (recent.length > limit) recent.shift();
  }
  return out;
}

/** What a planned stage's function returns for `item` (or throws, for a planned failure). */
export function finish(stage: FunctionStagePlan, item: number): unknown {
  if (fails(stage, item)) throw new Error(`planned failure of ${item}`);
  switch (stage.kind) {
    case "map":
      return transform(stage, item)[0];
    case "filter":
      return item % 4 !== 1;
    case "flatMap":
      return transform(stage, item);
    case "tap":
      return "ignored";
  }
}

function transform(stage: FunctionStagePlan, item: number): number[] {
  switch (stage.kind) {
    case "map":
      return [(item * 3 + 1) % 1_000_003];
    case "filter":
      return item % 4 !== 1 ? [item] : [];
    case "flatMap":
      return item % 5 === 0 ? [] : item % 5 === 1 ? [item, item + 7] : [item];
    case "tap":
      return [item];
  }
}

function fails(stage: FunctionStagePlan, item: number): boolean {
  return stage.failEvery > 0 && hash(item, stage.salt + 17) % stage.failEvery === 0;
}
