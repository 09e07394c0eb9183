import { invalid } from "../internal/validate.js";
import type { Pipeline, Sink } from "../pipeline/pipeline.js";
import {
  type TuneOptions,
  type TuneRow,
  type TuneSettings,
  tuneDefaults,
  tuneSettings,
} from "./tune-options.js";
import { type TunablePipeline, isTunablePipeline, tunedStage } from "./tune-target.js";
import { runTrial } from "./tune-trial.js";

/** A pipeline `tune()` can run: any pipeline, including one that ends in `forEach`. */
export type TuneTarget = Pipeline<unknown> | Sink;

/** Why {@link tune} stopped trying wider widths. */
export type TuneStopReason = "plateau" | "slo" | "max";

/** What {@link tune} measured and concluded. */
export interface TuneResult {
  /** The stage that was tuned. */
  readonly stage: string;
  /** Source items each trial ran. */
  readonly sample: number;
  /** One row per trial, in the order run: widths 1, 2, 4, … */
  readonly rows: readonly TuneRow[];
  /**
   * The width to use: among the trials whose p99 met the SLO, the smallest width whose
   * throughput is within 5% of the best of them. `undefined` when even width 1 broke the SLO.
   */
  readonly knee: number | undefined;
  /**
   * Little's law with headroom: `ceil(rate × meanMs(width 1) / 1000 / utilisation)`, at
   * least 1. The width that keeps `rate` items per second flowing when each call takes what
   * it took alone (no queueing behind the stage's own calls), busy `utilisation` of the time.
   */
  readonly estimate: number;
  /**
   * `"plateau"`: the last trial gained < 5% throughput over the best before it; `"slo"`: its
   * p99 passed the SLO; `"max"`: the trial at `max`, the widest allowed, still gained.
   */
  readonly stoppedBecause: TuneStopReason;
  /** The arrival rate the estimate used, items per second (the `rate` option or measured). */
  readonly rate: number;
  /** The utilisation the estimate used. */
  readonly utilisation: number;
  /** The SLO on p99 call duration, in ms, when one was given. */
  readonly slo?: number;
}

/**
 * Finds a good width for one stage by measuring it. Runs the pipeline over `sample` source
 * items once per width — 1, 2, 4, 8, … doubling, then `max` itself if it is not a power of
 * two — with the stage's calls timed, and records each trial's throughput (items into the
 * stage per second of the run) and call latency (p50, p99, mean). Stops at the plateau (a
 * trial gains < 5% over the best so far), when a trial's p99 passes `slo`, or at `max`.
 * Resolves with the rows, the knee (the smallest width within 5% of the best throughput that
 * met the SLO) and the Little's-law estimate (see {@link TuneResult.estimate}).
 *
 * `pipeline` is a pipeline, run again as it is for each trial (its source must be
 * re-iterable: an array, or a `from()` given a function), or a function that builds one
 * (sync or async), called once per trial, so a one-shot source such as a generator works.
 * Each trial is a real run with the stage's own function: side effects happen `sample`
 * times per trial. Trials run one after another; a run of the stage costs two clock reads
 * per call (and one `then` per async call) and holds one number per call until the trial
 * ends.
 *
 * Bad options throw an `InvalidOptionError` at once, as do a stage that cannot be tuned (a
 * thread stage, a limiter-set width) or a missing or ambiguous `stage` when `pipeline` is a
 * pipeline; with a function, those reject after its first call. A failed trial rejects with
 * a `TuneTrialError` (its width, and the run's error as `cause`); aborting `signal` rejects
 * with the run's `CancelledError`.
 *
 * @example
 * const result = await tune(() => from(readIds()).map(lookup, { name: "lookup" }), { sample: 500, slo: "250ms" });
 * console.log(formatTune(result).join("\n"));
 */
export function tune(
  pipeline: TuneTarget | (() => TuneTarget | PromiseLike<TuneTarget>),
  options?: TuneOptions,
): Promise<TuneResult> {
  const settings = tuneSettings(options);
  if (typeof pipeline === "function") {
    return search(async () => checkBuilt(await pipeline()), settings);
  }
  if (!isTunablePipeline(pipeline)) {
    throw invalid(
      "tune(pipeline)",
      "a pipeline (built with from()) or a function that returns one",
      pipeline,
    );
  }
  // Checked now, so a pipeline that cannot be tuned throws before any trial starts.
  tunedStage(pipeline.specs, settings.stage);
  return search(() => pipeline, settings);
}

function checkBuilt(value: unknown): TunablePipeline {
  if (!isTunablePipeline(value)) {
    throw invalid("tune(pipeline)()", "a pipeline (built with from())", value);
  }
  return value;
}

/** Runs the trials, widest last, and concludes. */
async function search(
  build: () => TunablePipeline | Promise<TunablePipeline>,
  settings: TuneSettings,
): Promise<TuneResult> {
  const rows: TuneRow[] = [];
  let stageName = settings.stage;
  let best = 0;
  let stoppedBecause: TuneStopReason = "max";
  for (const concurrency of widths(settings.max)) {
    const pipeline = await build();
    const stage = tunedStage(pipeline.specs, stageName);
    // Later trials look the stage up by the name the first one found.
    stageName = stage.spec.name;
    const row = await runTrial({
      pipeline,
      stage,
      concurrency,
      sample: settings.sample,
      signal: settings.signal,
      clock: settings.clock,
    });
    rows.push(row);
    settings.onTrial?.(row);
    if (row.p99Ms > settings.slo) {
      stoppedBecause = "slo";
      break;
    }
    if (rows.length > 1 && row.itemsPerSecond < best * (1 + tuneDefaults.plateauGain)) {
      stoppedBecause = "plateau";
      break;
    }
    best = Math.max(best, row.itemsPerSecond);
  }
  return conclude(stageName!, rows, stoppedBecause, settings);
}

/** 1, 2, 4, … up to `max`, and `max` itself last when it is not a power of two. */
function* widths(max: number): Generator<number> {
  let width = 1;
  for (; width <= max; width *= 2) yield width;
  if (width / 2 < max) yield max;
}

function conclude(
  stage: string,
  rows: readonly TuneRow[],
  stoppedBecause: TuneStopReason,
  settings: TuneSettings,
): TuneResult {
  const met = rows.filter((row) => row.p99Ms <= settings.slo);
  const bestMet = Math.max(0, ...met.map((row) => row.itemsPerSecond));
  // "Within 5%" is the plateau's own test: a wider width that gains less is no better.
  const knee = met.find(
    (row) => row.itemsPerSecond * (1 + tuneDefaults.plateauGain) > bestMet,
  )?.concurrency;
  const rate =
    settings.rate ??
    (met.length > 0 ? bestMet : Math.max(...rows.map((row) => row.itemsPerSecond)));
  const alone = rows[0]!;
  const estimate = Math.max(1, Math.ceil((rate * alone.meanMs) / 1000 / settings.utilisation));
  return {
    stage,
    sample: settings.sample,
    rows,
    knee,
    estimate,
    stoppedBecause,
    rate,
    utilisation: settings.utilisation,
    ...(Number.isFinite(settings.slo) ? { slo: settings.slo } : {}),
  };
}
