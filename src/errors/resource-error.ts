import { describeCause } from "./describe-cause.js";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_RESOURCE";

/**
 * What a run fails with when a stage's per-slot resource (`resources`) could not be made, or
 * could not be disposed of at the end. Names the stage, the slot and what went wrong (`phase`);
 * what was thrown is `cause`.
 */
export class ResourceError extends Error {
  /** Always `"ERR_SLUICE_RESOURCE"`. */
  readonly code = CODE;
  /** The stage's name. */
  readonly stage: string;
  /** The slot whose resource it was, from 0. */
  readonly slot: number;
  /** Whether making the resource failed, or disposing of it. */
  readonly phase: "create" | "dispose";

  declare readonly [kErrorCode]: string;

  constructor(stage: string, slot: number, phase: "create" | "dispose", cause: unknown) {
    super(
      `Stage "${stage}" could not ${phase === "create" ? "make" : "dispose of"} the resource of slot ${slot}: ${describeCause(cause)}`,
      { cause },
    );
    this.name = "ResourceError";
    this.stage = stage;
    this.slot = slot;
    this.phase = phase;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link ResourceError} (from any copy of sluice). */
export function isResourceError(value: unknown): value is ResourceError {
  return hasSluiceCode(value, CODE);
}
