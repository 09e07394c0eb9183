import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_TIMEOUT";

/**
 * An item whose call ran past its stage's `timeout`. It goes through the stage's `onError`
 * like any failure. On a thread stage the thread running the call was terminated and
 * replaced (the only way to stop CPU work that never looks at its signal).
 */
export class TimeoutError extends Error {
  /** Always `"ERR_SLUICE_TIMEOUT"`. */
  readonly code = CODE;
  /** The stage whose call timed out. */
  readonly stage: string;
  /** The item's position in the stage's input (0-based). */
  readonly index: number;
  /** How long the call had run when it was stopped, in ms. */
  readonly elapsedMs: number;
  /** The stage's timeout, in ms. */
  readonly timeoutMs: number;

  declare readonly [kErrorCode]: string;

  constructor(stage: string, index: number, elapsedMs: number, timeoutMs: number) {
    super(
      `Stage "${stage}" timed out on item #${index} after ${Math.round(elapsedMs)} ms (timeout ${timeoutMs} ms)`,
    );
    this.name = "TimeoutError";
    this.stage = stage;
    this.index = index;
    this.elapsedMs = elapsedMs;
    this.timeoutMs = timeoutMs;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link TimeoutError} (from any copy of sluice). */
export function isTimeoutError(value: unknown): value is TimeoutError {
  return hasSluiceCode(value, CODE);
}
