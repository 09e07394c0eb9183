import type { Duration } from "../internal/duration.js";
import {
  checkOptionsObject,
  durationOption,
  integerOption,
  invalid,
  optionalFunction,
  signalOption,
  methodsOption,
  stringOption,
} from "../internal/validate.js";

/** One trial of {@link tune}: the stage at one width, over one sample. */
export interface TuneRow {
  /** The stage's width in this trial. */
  readonly concurrency: number;
  /** Items that entered the tuned stage per second of the trial's run. */
  readonly itemsPerSecond: number;
  /** Median duration of one call of the stage's function, in ms. */
  readonly p50Ms: number;
  /** 99th percentile duration of one call (nearest rank over the trial's calls), in ms. */
  readonly p99Ms: number;
  /** Mean duration of one call, in ms. */
  readonly meanMs: number;
  /** Wall time of the trial's run, in ms. */
  readonly durationMs: number;
}

/** Options of {@link tune}. Every field is checked before the first trial starts. */
export interface TuneOptions {
  /**
   * The name of the stage to tune (its `name` option, or `<kind>#<position>` such as
   * `map#2`). Default: the pipeline's only function stage (`map`, `filter`, `flatMap`, `tap`
   * or `forEach` that is not a thread stage); required when it has several.
   */
  readonly stage?: string;
  /** Source items each trial runs: an integer >= 1. Default 1,000. */
  readonly sample?: number;
  /**
   * The latency objective: a trial whose p99 call duration is above it ends the search, and
   * its width cannot be the knee. Ms as a number, or a string such as `"250ms"`, `"1s"`;
   * > 0. Default: none.
   */
  readonly slo?: Duration;
  /** The largest width tried: an integer >= 1. Default 1,024. */
  readonly max?: number;
  /**
   * The share of its width a stage should keep busy, for the Little's-law estimate: a number
   * in (0, 1]. Default 0.8 (20% headroom for bursts).
   */
  readonly utilisation?: number;
  /**
   * The arrival rate the estimate sizes for, in items per second: a number > 0. Default the
   * best throughput measured among the trials that met the SLO.
   */
  readonly rate?: number;
  /** Called after each trial with its row, before the next starts (progress). */
  readonly onTrial?: (row: TuneRow) => void;
  /** Aborting it cancels the trial under way; `tune()` rejects with its `CancelledError`. */
  readonly signal?: AbortSignal;
  /**
   * Where trial and call durations are read from: `{ now(): number }` in ms. Default
   * `performance.now()`; a test passes a fake clock (with fake timers in the stage's calls).
   */
  readonly clock?: { now(): number };
}

/** The defaults of {@link TuneOptions}, and the plateau threshold. */
export const tuneDefaults = Object.freeze({
  /** Source items per trial: enough calls for a p99 that means something. */
  sample: 1_000,
  /** The largest width tried. */
  max: 1_024,
  /** The share of the width kept busy: 20% headroom. */
  utilisation: 0.8,
  /**
   * A trial that gains less than this over the best throughput so far is on the plateau;
   * trials within it of the best count as equally good when the knee is picked.
   */
  plateauGain: 0.05,
});

/** {@link TuneOptions}, checked, with their defaults. */
export interface TuneSettings {
  readonly stage: string | undefined;
  readonly sample: number;
  /** Ms; `Infinity` when no SLO was given. */
  readonly slo: number;
  readonly max: number;
  readonly utilisation: number;
  readonly rate: number | undefined;
  readonly onTrial: ((row: TuneRow) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  readonly clock: { now(): number };
}

const TUNE_KEYS = [
  "stage",
  "sample",
  "slo",
  "max",
  "utilisation",
  "rate",
  "onTrial",
  "signal",
  "clock",
] as const;

/** The default clock of a trial: monotonic, sub-millisecond. */
const performanceClock = Object.freeze({ now: () => performance.now() });

/** Checks `tune()`'s options; throws an `InvalidOptionError` at the first bad one. */
export function tuneSettings(options: unknown): TuneSettings {
  const raw = checkOptionsObject("tune", options, TUNE_KEYS);
  return {
    stage: raw.stage === undefined ? undefined : stringOption("tune.stage", raw.stage, ""),
    sample: integerOption("tune.sample", raw.sample, tuneDefaults.sample, 1),
    slo: durationOption("tune.slo", raw.slo, Number.POSITIVE_INFINITY),
    max: integerOption("tune.max", raw.max, tuneDefaults.max, 1),
    utilisation: utilisationOption(raw.utilisation),
    rate: rateOption(raw.rate),
    onTrial: optionalFunction<(row: TuneRow) => void>("tune.onTrial", raw.onTrial),
    signal: signalOption("tune.signal", raw.signal),
    clock: methodsOption(
      "tune.clock",
      raw.clock,
      ["now"],
      "a clock (an object with now())",
      performanceClock,
    ),
  };
}

function utilisationOption(value: unknown): number {
  if (value === undefined) return tuneDefaults.utilisation;
  if (typeof value !== "number" || !(value > 0 && value <= 1)) {
    throw invalid("tune.utilisation", "a number > 0 and <= 1", value);
  }
  return value;
}

function rateOption(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw invalid("tune.rate", "a finite number > 0 (items per second)", value);
  }
  return value;
}
