import type { StageSpec } from "../contract/stage-spec.js";

/**
 * About how many source items a pipeline holds at most: what the source reads ahead, plus
 * each stage's room (a function stage's width and buffer, a batch's buffered batches, a step
 * stage's buffer). A broker source reads no more than this many unacked messages, so the
 * backlog stays on the broker, where another worker can take it.
 */
export function pipelineCapacity(specs: readonly StageSpec[], sourceBuffer: number): number {
  let capacity = sourceBuffer;
  for (const spec of specs) {
    switch (spec.kind) {
      case "batch":
        capacity += spec.size * (spec.buffer + 1);
        break;
      case "take":
      case "drop":
      case "scan":
      case "distinct":
      case "route":
      case "loop":
        capacity += spec.buffer;
        break;
      default:
        capacity += spec.concurrency + spec.buffer;
    }
  }
  return capacity;
}
