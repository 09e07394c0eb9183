import type { RunControl } from "../contract/run-control.js";
import type { Stage, StageInput } from "../contract/stage.js";
import type { StageSpec } from "../contract/stage-spec.js";
import { BatchStage } from "./batch-stage.js";
import { FunctionStage } from "./function-stage.js";
import { LoopStage } from "./loop-stage.js";
import { RouteStage } from "./route-stage.js";
import { StepStage } from "./step-stage.js";

/** Builds the stage a spec describes, reading from `input`. */
export function buildStage(spec: StageSpec, input: StageInput<unknown>, run: RunControl): Stage {
  switch (spec.kind) {
    case "batch":
      return new BatchStage(spec, input, run);
    case "take":
    case "drop":
    case "scan":
    case "distinct":
      return new StepStage(spec, input, run);
    case "route":
      return new RouteStage(spec, input, run);
    case "loop":
      return new LoopStage(spec, input, run);
    default:
      // An executor (threads) builds its own runtime; the event loop is the default.
      return spec.executor === undefined
        ? new FunctionStage(spec, input, run)
        : spec.executor.createStage(spec, input, run);
  }
}
