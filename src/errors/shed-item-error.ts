import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_SHED";

/**
 * Why a shed item's delivery is nacked, in a run fed by `acknowledged()`: the stage's input
 * was full and its `shed` option dropped the item, which was never processed. Names the
 * stage; the broker redelivers the item, or dead-letters it by its own rules.
 */
export class ShedItemError extends Error {
  /** Always `"ERR_SLUICE_SHED"`. */
  readonly code = CODE;
  /** The stage that shed the item. */
  readonly stage: string;

  declare readonly [kErrorCode]: string;

  constructor(stage: string) {
    super(
      `Stage "${stage}" shed the item under load: its input was full, and it was never processed`,
    );
    this.name = "ShedItemError";
    this.stage = stage;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link ShedItemError} (from any copy of sluice). */
export function isShedItemError(value: unknown): value is ShedItemError {
  return hasSluiceCode(value, CODE);
}
