import { describeCause } from "./describe-cause.js";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_TUNE_TRIAL_FAILED";

/**
 * What `tune()` rejects with when one of its trials cannot be measured: the trial's run
 * failed (its error, a `StageError` or `SourceError`, is `cause`), or the tuned stage took
 * no item. Names the stage and the width the trial ran at; the trials before it are lost.
 */
export class TuneTrialError extends Error {
  /** Always `"ERR_SLUICE_TUNE_TRIAL_FAILED"`. */
  readonly code = CODE;
  /** The stage being tuned. */
  readonly stage: string;
  /** The width the failed trial ran the stage at. */
  readonly concurrency: number;

  declare readonly [kErrorCode]: string;

  /** `problem` replaces the cause's message when the trial failed without an error. */
  constructor(stage: string, concurrency: number, cause: unknown, problem?: string) {
    super(
      `Tuning stage "${stage}": the trial at concurrency ${concurrency} failed: ${problem ?? describeCause(cause)}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "TuneTrialError";
    this.stage = stage;
    this.concurrency = concurrency;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link TuneTrialError} (from any copy of sluice). */
export function isTuneTrialError(value: unknown): value is TuneTrialError {
  return hasSluiceCode(value, CODE);
}
