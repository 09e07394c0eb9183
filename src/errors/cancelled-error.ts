import { describeCause } from "./describe-cause.js";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_CANCELLED";

/**
 * What a run's consumer (`drain()`, `collect()`, the iterator) throws when the run was
 * cancelled by its `signal` or by `cancel(reason)`. The reason is `cause`. Breaking out
 * of a `for await` loop cancels quietly and throws nothing.
 */
export class CancelledError extends Error {
  /** Always `"ERR_SLUICE_CANCELLED"`. */
  readonly code = CODE;

  declare readonly [kErrorCode]: string;

  constructor(reason: unknown, pulled: number, elapsedMs: number) {
    super(
      `Run cancelled after ${pulled} source items and ${Math.round(elapsedMs)} ms: ${reason === undefined ? "no reason given" : describeCause(reason)}`,
      { cause: reason },
    );
    this.name = "CancelledError";
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link CancelledError} (from any copy of sluice). */
export function isCancelledError(value: unknown): value is CancelledError {
  return hasSluiceCode(value, CODE);
}
