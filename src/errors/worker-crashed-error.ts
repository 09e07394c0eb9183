import { describeCause } from "./describe-cause.js";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_WORKER_CRASHED";

/**
 * An item of a thread stage whose thread died while running it, twice: once on the thread
 * that first held it, once more on a fresh thread. A thread dies when its module throws at
 * top level (or leaves a rejection unhandled), calls `process.exit`, or runs past its
 * `resourceLimits`. The item goes through the stage's `onError` like any failure; what the
 * thread threw, if anything, is `cause`.
 *
 * With `thread(url, { transfer: true })` an item's bytes moved to the thread that got it,
 * so an item held by a thread that is lost (it died, or the pool terminated it for a call
 * past the timeout) fails at once, with `transferred` set: there is nothing left to send
 * again.
 */
export class WorkerCrashedError extends Error {
  /** Always `"ERR_SLUICE_WORKER_CRASHED"`. */
  readonly code = CODE;
  /** The stage whose thread died. */
  readonly stage: string;
  /** The item's position in the stage's input (0-based). */
  readonly index: number;
  /** The thread's exit code (1 after an uncaught error, or when the pool terminated it). */
  readonly exitCode: number;
  /** Whether the item had been transferred to the thread (`transfer: true`), and died with it. */
  readonly transferred: boolean;

  declare readonly [kErrorCode]: string;

  constructor(
    stage: string,
    index: number,
    exitCode: number,
    cause?: unknown,
    transferred = false,
  ) {
    const why = cause === undefined ? "" : `: ${describeCause(cause)}`;
    super(
      transferred
        ? `Stage "${stage}": the thread holding item #${index} was lost (exit code ${exitCode}), and the item with it: its bytes had moved there (\`transfer: true\`), so it cannot be sent again${why}`
        : `Stage "${stage}": the thread running item #${index} died (exit code ${exitCode}), and again on a fresh thread${why}`,
      { cause },
    );
    this.name = "WorkerCrashedError";
    this.stage = stage;
    this.index = index;
    this.exitCode = exitCode;
    this.transferred = transferred;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link WorkerCrashedError} (from any copy of sluice). */
export function isWorkerCrashedError(value: unknown): value is WorkerCrashedError {
  return hasSluiceCode(value, CODE);
}
