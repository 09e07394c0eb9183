import type { CallTracer, StageCallHook, TracedStage } from "../contract/call-tracer.js";
import { integerOption, invalid } from "../internal/validate.js";
import { callLogger } from "./call-logger.js";
import { type Logger, loggerOption } from "./logger.js";
import { samplingOption } from "./metrics-options.js";
import { joinHooks } from "./traced-calls.js";

/** Who watches a run, from its options: metrics sampling, a call tracer, a logger. */
export interface RunObservers {
  /** Calls timed per stage, one in this many; 0: no latencies recorded. */
  readonly sampleEvery: number;
  /** Timed calls per second per stage, at most (`Infinity`: no cap). */
  readonly maxSamplesPerSecond: number;
  /** Sees the function stages' calls: `trace`, and the logger's sampled calls. */
  readonly tracer: CallTracer | undefined;
  /** Hears of the run's start and end. */
  readonly logger: Logger | undefined;
}

/** A run nobody watches. */
export const kUnobserved: RunObservers = Object.freeze({
  sampleEvery: 0,
  maxSamplesPerSecond: 0,
  tracer: undefined,
  logger: undefined,
});

/** Reads `metrics`, `trace`, `logger` and `logEvery` from `run()`'s checked options. */
export function runObservers(raw: Record<string, unknown>): RunObservers {
  const { sampleEvery, maxSamplesPerSecond } = samplingOption(raw["metrics"]);
  const trace = traceOption(raw["trace"]);
  const logger = loggerOption(raw["logger"]);
  const logEvery = integerOption("run.logEvery", raw["logEvery"], 0, 1);
  if (logEvery > 0 && logger === undefined) {
    throw invalid("run.logEvery", "set together with `run.logger`", logEvery);
  }
  const tracers: CallTracer[] = [];
  if (trace !== undefined) tracers.push(trace);
  if (logger !== undefined && logEvery > 0) tracers.push(callLogger(logger, logEvery));
  if (sampleEvery === 0 && tracers.length === 0 && logger === undefined) return kUnobserved;
  return { sampleEvery, maxSamplesPerSecond, tracer: joinTracers(tracers), logger };
}

function traceOption(value: unknown): CallTracer | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as { forStage?: unknown }).forStage !== "function"
  ) {
    throw invalid("run.trace", 'a call tracer such as otel() from "sluice/otel"', value);
  }
  return value as CallTracer;
}

function joinTracers(tracers: readonly CallTracer[]): CallTracer | undefined {
  if (tracers.length <= 1) return tracers[0];
  return {
    forStage(stage: TracedStage): StageCallHook | undefined {
      const hooks = tracers
        .map((tracer) => tracer.forStage(stage))
        .filter((hook): hook is StageCallHook => hook !== undefined);
      return hooks.length === 0 ? undefined : joinHooks(hooks);
    },
  };
}
