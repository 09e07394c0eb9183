import fc from "fast-check";
import { from, type Pipeline, type StageContext } from "../../src/index.js";
import { type DelayMode, delay, delayFor, hash } from "./delays.js";

/** One randomly drawn stage. */
export interface StagePlan {
  readonly kind: "map" | "filter" | "flatMap" | "tap";
  readonly concurrency: number;
  readonly buffer: number;
  readonly ordered: boolean;
  readonly modes: readonly DelayMode[];
  /** Items whose hash is divisible by this fail (0: none); the stage skips them. */
  readonly failEvery: number;
  readonly salt: number;
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

export const stagePlan: fc.Arbitrary<StagePlan> = fc.record({
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
});

/** What a stage does to one item, sequentially: the reference the runs are checked against. */
export function reference(plan: readonly StagePlan[], input: readonly number[]): number[] {
  let items = [...input];
  for (const stage of plan) {
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
): Pipeline<number> {
  let pipeline: Pipeline<number> = from(
    source,
    sourceBuffer === undefined ? undefined : { buffer: sourceBuffer },
  );
  plan.forEach((stage, position) => {
    const options = {
      concurrency: stage.concurrency,
      buffer: stage.buffer,
      ordered: stage.ordered,
      onError: "skip" as const,
    };
    const call = (item: number, ctx: StageContext): unknown => {
      probe.enter(position);
      const pending = delay(delayFor(stage.modes, item, stage.salt), ctx.signal);
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
    switch (stage.kind) {
      case "map":
        pipeline = pipeline.map((item, ctx) => call(item, ctx) as number, options);
        break;
      case "filter":
        pipeline = pipeline.filter((item, ctx) => call(item, ctx), options);
        break;
      case "flatMap":
        pipeline = pipeline.flatMap((item, ctx) => call(item, ctx) as number[], options);
        break;
      case "tap":
        pipeline = pipeline.tap((item, ctx) => call(item, ctx), options);
        break;
    }
  });
  return pipeline;
}

function finish(stage: StagePlan, item: number): unknown {
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

function transform(stage: StagePlan, item: number): number[] {
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

function fails(stage: StagePlan, item: number): boolean {
  return stage.failEvery > 0 && hash(item, stage.salt + 17) % stage.failEvery === 0;
}
