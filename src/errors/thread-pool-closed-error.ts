import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_THREAD_POOL_CLOSED";

/**
 * What a run fails with when the shared `threadPool()` a thread stage runs on was closed
 * before the run, or while the stage was running (its items in flight count as cancelled).
 * Names the stage. Also what `pool.prepare()` rejects with on a pool closed before every
 * thread was ready (then without a stage).
 */
export class ThreadPoolClosedError extends Error {
  /** Always `"ERR_SLUICE_THREAD_POOL_CLOSED"`. */
  readonly code = CODE;
  /** The thread stage's name; `undefined` from `pool.prepare()`. */
  readonly stage: string | undefined;
  /**
   * Whether the pool was closed while the stage was running (or `prepare()` was waiting),
   * not before.
   */
  readonly whileRunning: boolean;

  declare readonly [kErrorCode]: string;

  constructor(stage: string | undefined, whileRunning: boolean) {
    super(closedMessage(stage, whileRunning));
    this.name = "ThreadPoolClosedError";
    this.stage = stage;
    this.whileRunning = whileRunning;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

function closedMessage(stage: string | undefined, whileRunning: boolean): string {
  if (stage === undefined) {
    return whileRunning
      ? "ThreadPool.prepare(): the pool was closed before every thread was ready"
      : "ThreadPool.prepare(): the pool is closed";
  }
  return whileRunning
    ? `Stage "${stage}": its thread pool was closed while the stage was running; close a shared pool only after the runs that use it have settled`
    : `Stage "${stage}": its thread pool was closed before the run`;
}

/** Returns whether `value` is a {@link ThreadPoolClosedError} (from any copy of sluice). */
export function isThreadPoolClosedError(value: unknown): value is ThreadPoolClosedError {
  return hasSluiceCode(value, CODE);
}
