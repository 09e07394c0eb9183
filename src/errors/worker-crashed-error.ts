import { describeCause } from "./describe-cause.js";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_WORKER_CRASHED";

/**
 * An item of a thread stage whose thread died while running it, twice: once on the thread
 * that first held it, once more on a fresh thread. A thread dies when its module throws at
 * top level (or leaves a rejection unhandled), calls `process.exit`, or runs past its
 * `resourceLimits`. The item goes through the stage's `onError` like any failure; what the
 * thread threw, if anything, is `cause`.
 */
export class WorkerCrashedError extends Error {
  /** Always `"ERR_SLUICE_WORKER_CRASHED"`. */
  readonly code = CODE;
  /** The stage whose thread died. */
  readonly stage: string;
  /** The item's position in the stage's input (0-based). */
  readonly index: number;
  /** The thread's exit code (1 after an uncaught error). */
  readonly exitCode: number;

  declare readonly [kErrorCode]: string;

  constructor(stage: string, index: number, exitCode: number, cause?: unknown) {
    super(
      `Stage "${stage}": the thread running item #${index} died (exit code ${exitCode}), and again on a fresh thread${cause === undefined ? "" : `: ${describeCause(cause)}`}`,
      { cause },
    );
    this.name = "WorkerCrashedError";
    this.stage = stage;
    this.index = index;
    this.exitCode = exitCode;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link WorkerCrashedError} (from any copy of sluice). */
export function isWorkerCrashedError(value: unknown): value is WorkerCrashedError {
  return hasSluiceCode(value, CODE);
}
