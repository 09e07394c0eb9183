import type { StageSpec } from "../contract/stage-spec.js";
import type { RunSummary } from "../contract/summary.js";
import { isCancelledError } from "../errors/cancelled-error.js";
import { TuneTrialError } from "../errors/tune-trial-error.js";
import { countStageSpec } from "../pipeline/build-spec.js";
import { timedFn } from "./timed-fn.js";
import type { TuneRow } from "./tune-options.js";
import type { TunablePipeline, TunedStage } from "./tune-target.js";

/** The name of the `take` stage a trial puts in front of the pipeline. */
export const SAMPLE_STAGE = "tune:sample";

/** What one trial runs: a pipeline, the stage it times, the width and the sample size. */
export interface Trial {
  readonly pipeline: TunablePipeline;
  readonly stage: TunedStage;
  readonly concurrency: number;
  readonly sample: number;
  readonly signal: AbortSignal | undefined;
  /** Where durations are read from (see `TuneOptions.clock`). */
  readonly clock: { now(): number };
}

/**
 * Runs the pipeline once over `sample` source items with the stage at `concurrency`, and
 * measures it. Waits for the run to settle; holds one number per call of the stage.
 * Rejects with a {@link TuneTrialError} (the run's error as its cause) when the run fails or
 * the stage took no item, and with the run's `CancelledError` when `signal` aborts it.
 */
export async function runTrial(trial: Trial): Promise<TuneRow> {
  const { pipeline, stage, concurrency, sample } = trial;
  const durations: number[] = [];
  const specs: StageSpec[] = [...pipeline.specs];
  // The spec's own width is raised too, not only the live one: a stage holds at most
  // `concurrency + buffer` items, so setConcurrency() alone could not take a stage built
  // with a small width (or buffer) past that. The buffer stays as the user built it.
  specs[stage.index] = Object.freeze({
    ...stage.spec,
    fn: timedFn(stage.spec.fn, durations, trial.clock),
    concurrency,
  });
  // A take in front bounds the trial to `sample` source items and then closes the source.
  specs.unshift(countStageSpec("take", 0, sample, { name: SAMPLE_STAGE }));
  const run = pipeline
    .withSpecs(specs)
    .run(trial.signal === undefined ? undefined : { signal: trial.signal });
  run.setConcurrency(stage.spec.name, concurrency);
  let summary: RunSummary;
  const started = trial.clock.now();
  try {
    summary = await run.drain();
  } catch (error) {
    if (trial.signal?.aborted === true && isCancelledError(error)) throw error;
    throw new TuneTrialError(stage.spec.name, concurrency, error);
  }
  const entered = summary.stages[stage.index + 1]?.in ?? 0;
  if (entered === 0 || durations.length === 0) {
    throw new TuneTrialError(
      stage.spec.name,
      concurrency,
      undefined,
      "the stage took no item (is the source empty, or a one-shot source such as a generator that an earlier trial read? pass a function that builds the pipeline afresh)",
    );
  }
  // The trial's own clock, not the summary's: a fake clock then drives the whole result.
  const durationMs = trial.clock.now() - started;
  return {
    concurrency,
    itemsPerSecond: (entered * 1000) / durationMs,
    ...latency(durations),
    durationMs,
  };
}

/** p50, p99 (nearest rank) and mean of a trial's call durations, in ms. */
function latency(durations: number[]): Pick<TuneRow, "p50Ms" | "p99Ms" | "meanMs"> {
  // Exact percentiles from the sorted calls: a trial is a sample (one number per call), so
  // sorting it is cheap next to the run, and no histogram's error band is needed.
  const sorted = Float64Array.from(durations).sort();
  let sum = 0;
  for (const ms of sorted) sum += ms;
  return {
    p50Ms: nearestRank(sorted, 0.5),
    p99Ms: nearestRank(sorted, 0.99),
    meanMs: sum / sorted.length,
  };
}

function nearestRank(sorted: Float64Array, quantile: number): number {
  return sorted[Math.max(0, Math.ceil(quantile * sorted.length) - 1)]!;
}
