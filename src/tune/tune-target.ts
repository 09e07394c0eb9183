import type { FunctionStageSpec, StageSpec } from "../contract/stage-spec.js";
import type { RunSummary } from "../contract/summary.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { invalid } from "../internal/validate.js";

/**
 * What `tune()` needs of a pipeline: its stage specs and a copy of it with other specs
 * (the `@internal` `specs` / `withSpecs` of `Pipeline`), and of a run: a live width and a
 * drain. Checked by shape, not `instanceof`: a pipeline module loaded through tsx builds its
 * pipeline with its own copy of sluice.
 */
export interface TunablePipeline {
  readonly specs: readonly StageSpec[];
  withSpecs(specs: readonly StageSpec[]): { run(options?: { signal: AbortSignal }): TrialRun };
}

/** The part of a `Run` a trial uses. */
export interface TrialRun {
  setConcurrency(stageName: string, concurrency: number): void;
  drain(): Promise<RunSummary>;
}

/** The stage a trial times: its position among the pipeline's specs, and its spec. */
export interface TunedStage {
  readonly index: number;
  readonly spec: FunctionStageSpec;
}

const FUNCTION_KINDS: ReadonlySet<string> = new Set(["map", "filter", "flatMap", "tap", "forEach"]);

/** Whether `value` has the members of a pipeline that `tune()` uses. */
export function isTunablePipeline(value: unknown): value is TunablePipeline {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Record<"specs" | "withSpecs" | "run", unknown>>;
  return (
    Array.isArray(candidate.specs) &&
    typeof candidate.withSpecs === "function" &&
    typeof candidate.run === "function"
  );
}

/** Checks that `value` is a pipeline, naming `path` in the error when it is not. */
export function tunablePipeline(path: string, value: unknown): TunablePipeline {
  if (!isTunablePipeline(value)) throw invalid(path, "a pipeline (built with from())", value);
  return value;
}

function isFunctionSpec(spec: StageSpec): spec is FunctionStageSpec {
  return FUNCTION_KINDS.has(spec.kind);
}

/**
 * Finds the stage `tune()` times: the one named `name`, or, when no name is given, the
 * pipeline's only function stage that runs on the event loop. Throws an
 * `InvalidOptionError` (option `tune.stage`) when there is none, several, or the stage's
 * width cannot be set from outside (a limiter sets it, or it runs on threads).
 */
export function tunedStage(specs: readonly StageSpec[], name: string | undefined): TunedStage {
  const onLoop = specs.filter((spec) => isFunctionSpec(spec) && spec.executor === undefined);
  const names = onLoop.map((spec) => spec.name).join(", ") || "none";
  let index: number;
  if (name === undefined) {
    if (onLoop.length !== 1) {
      throw new InvalidOptionError(
        onLoop.length === 0
          ? "Option `tune.stage` finds nothing to tune: the pipeline has no map, filter, flatMap, tap or forEach stage that runs on the event loop"
          : `Option \`tune.stage\` is required when the pipeline has several function stages: name one of ${names}`,
        "tune.stage",
        undefined,
      );
    }
    index = specs.indexOf(onLoop[0]!);
  } else {
    index = specs.findIndex((spec) => spec.name === name);
    const found = specs[index];
    if (found === undefined || !isFunctionSpec(found)) {
      throw invalid(
        "tune.stage",
        `the name of a map, filter, flatMap, tap or forEach stage of the pipeline (${names})`,
        name,
      );
    }
  }
  const spec = specs[index] as FunctionStageSpec;
  if (spec.executor !== undefined) {
    throw new InvalidOptionError(
      `Cannot tune stage "${spec.name}": it runs on ${spec.executor.description}, where the width is its threads' batches, not calls on the event loop; size it with \`threads\` instead`,
      "tune.stage",
      spec.name,
    );
  }
  if (spec.limiter !== undefined) {
    throw new InvalidOptionError(
      `Cannot tune stage "${spec.name}": its \`concurrency\` is an adaptive limiter, which sets the width itself; give the stage a number as its concurrency to tune it`,
      "tune.stage",
      spec.name,
    );
  }
  return { index, spec };
}
