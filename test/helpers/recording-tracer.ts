import type { CallSpan, CallTracer, TracedCall, TracedStage } from "../../src/index.js";

/** One call a {@link recordingTracer} was told of, and how (and how often) it ended. */
export interface RecordedCall {
  readonly stage: string;
  readonly item: unknown;
  /** A copy of the call as `start` saw it (the slot reuses its object). */
  readonly call: TracedCall;
  outcome?: "ok" | "failed";
  /** The result, or the error. */
  value?: unknown;
  ends: number;
}

/**
 * A tracer that records every stage it is asked about and every call it is told of; it
 * traces the stages `filter` accepts (default: all).
 */
export function recordingTracer(filter: (stage: TracedStage) => boolean = () => true): {
  tracer: CallTracer;
  stages: TracedStage[];
  calls: RecordedCall[];
} {
  const stages: TracedStage[] = [];
  const calls: RecordedCall[] = [];
  const tracer: CallTracer = {
    forStage(stage) {
      stages.push(stage);
      if (!filter(stage)) return undefined;
      return {
        start(item, call): CallSpan {
          const record: RecordedCall = { stage: stage.name, item, call: { ...call }, ends: 0 };
          calls.push(record);
          return {
            ok(value) {
              record.ends++;
              record.outcome = "ok";
              record.value = value;
            },
            failed(error) {
              record.ends++;
              record.outcome = "failed";
              record.value = error;
            },
          };
        },
      };
    },
  };
  return { tracer, stages, calls };
}
