import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_RUN_CONSUMED";

/**
 * What a second consumer of a run gets: a run's outputs go to one consumer, once (`for
 * await`, `collect()`, `drain()`, `reduce()`, `toReadable()`...), and a second one would
 * otherwise see nothing. `consumer` is how the run was already being read.
 */
export class RunConsumedError extends Error {
  /** Always `"ERR_SLUICE_RUN_CONSUMED"`. */
  readonly code = CODE;
  /** How the run was first consumed, e.g. `"collect()"` or `"for await"`. */
  readonly consumer: string;
  /** What the second consumer tried. */
  readonly attempted: string;

  declare readonly [kErrorCode]: string;

  constructor(consumer: string, attempted: string) {
    super(
      `Cannot ${attempted}: this run is already consumed by ${consumer}, and a run's outputs are read once. To use the results twice, keep what the first consumer returned (collect() once and reuse the array), or call pipeline.run() again for a second, independent run`,
    );
    this.name = "RunConsumedError";
    this.consumer = consumer;
    this.attempted = attempted;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link RunConsumedError} (from any copy of sluice). */
export function isRunConsumedError(value: unknown): value is RunConsumedError {
  return hasSluiceCode(value, CODE);
}
