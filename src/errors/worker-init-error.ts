import { describeCause } from "./describe-cause.js";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_WORKER_INIT";

/**
 * What a run fails with when a thread stage's module cannot be made ready on a thread: it
 * failed to load, has no default-exported function, or its `init()` threw. Names the module
 * and the thread; what was thrown is `cause`.
 */
export class WorkerInitError extends Error {
  /** Always `"ERR_SLUICE_WORKER_INIT"`. */
  readonly code = CODE;
  /** The worker module's URL. */
  readonly module: string;
  /** The thread's number in its pool, from 0. */
  readonly thread: number;

  declare readonly [kErrorCode]: string;

  constructor(module: string, thread: number, cause: unknown) {
    super(`Worker module ${module} failed to start on thread ${thread}: ${describeCause(cause)}`, {
      cause,
    });
    this.name = "WorkerInitError";
    this.module = module;
    this.thread = thread;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link WorkerInitError} (from any copy of sluice). */
export function isWorkerInitError(value: unknown): value is WorkerInitError {
  return hasSluiceCode(value, CODE);
}
