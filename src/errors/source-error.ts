import { describeCause } from "./describe-cause.js";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_SOURCE_FAILED";

/** What a run throws when its source's iterator throws or rejects; the original is `cause`. */
export class SourceError extends Error {
  /** Always `"ERR_SLUICE_SOURCE_FAILED"`. */
  readonly code = CODE;
  /** How many items the source had yielded before it failed. */
  readonly pulled: number;

  declare readonly [kErrorCode]: string;

  /** Whether the error came from closing the source (its iterator's `return()`), not reading it. */
  readonly cleanup: boolean;

  constructor(cause: unknown, pulled: number, cleanup = false) {
    super(
      cleanup
        ? `Source cleanup failed: its iterator's return() threw after ${pulled} item(s): ${describeCause(cause)}`
        : `Source failed after ${pulled} item(s): ${describeCause(cause)}`,
      { cause },
    );
    this.cleanup = cleanup;
    this.name = "SourceError";
    this.pulled = pulled;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link SourceError} (from any copy of sluice). */
export function isSourceError(value: unknown): value is SourceError {
  return hasSluiceCode(value, CODE);
}
