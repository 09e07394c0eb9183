import type { StageKind } from "../pipeline/summary.js";
import type { DeadLetter, ErrorPolicy, StageFn } from "../pipeline/types.js";

/** A validated, frozen description of one stage; a run builds a runtime from it. */
export interface StageSpec {
  readonly kind: StageKind;
  readonly name: string;
  readonly fn: StageFn<unknown, unknown> | undefined;
  readonly concurrency: number;
  readonly ordered: boolean;
  readonly buffer: number;
  readonly onError: ErrorPolicy;
  readonly deadLetter: DeadLetter<unknown> | undefined;
  /** `batch` only: items per batch. */
  readonly size: number;
  /** `batch` only: ms from a batch's first item until it is emitted anyway. */
  readonly maxWait: number;
}
