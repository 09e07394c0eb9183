import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_TIMEOUT";

/**
 * A call that ran past its timeout. From a stage's `timeout`, it names the stage and the item
 * and goes through the stage's `onError` like any failure; on a thread stage the thread running
 * the call was terminated and replaced (the only way to stop CPU work that never looks at its
 * signal). From a standalone `timeout()` policy, which knows no stage or item, `stage` and
 * `index` are `undefined` and the message says "Call timed out after …".
 */
export class TimeoutError extends Error {
  /** Always `"ERR_SLUICE_TIMEOUT"`. */
  readonly code = CODE;
  /** The stage whose call timed out; `undefined` from a standalone `timeout()` policy. */
  readonly stage: string | undefined;
  /** The item's position in the stage's input (0-based); `undefined` from a standalone policy. */
  readonly index: number | undefined;
  /** How long the call had run when it was stopped, in ms. */
  readonly elapsedMs: number;
  /** The timeout that was passed, in ms. */
  readonly timeoutMs: number;

  declare readonly [kErrorCode]: string;

  /** Pass `undefined` for `stage` and `index` when the call belongs to no stage. */
  constructor(
    stage: string | undefined,
    index: number | undefined,
    elapsedMs: number,
    timeoutMs: number,
  ) {
    const after = `after ${Math.round(elapsedMs)} ms (timeout ${timeoutMs} ms)`;
    super(
      stage === undefined
        ? `Call timed out ${after}`
        : `Stage "${stage}" timed out on item #${index ?? "?"} ${after}`,
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
