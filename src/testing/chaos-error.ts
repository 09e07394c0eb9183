import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "../errors/sluice-error.js";

const CODE = "ERR_SLUICE_CHAOS";

/**
 * What a call failed by a {@link chaos} policy throws (unless its `error` option says
 * otherwise): a failure made on purpose, to test how the code around the call copes. The
 * message names the call and the seed, so a failing test can be replayed.
 */
export class ChaosError extends Error {
  /** Always `"ERR_SLUICE_CHAOS"`. */
  readonly code = CODE;
  /** Which call of the policy failed, from 1. */
  readonly call: number;
  /** The policy's seed: with `call`, all it takes to make the same failure again. */
  readonly seed: number;

  declare readonly [kErrorCode]: string;

  constructor(call: number, seed: number) {
    super(`Chaos: call #${call} failed on purpose (seed ${seed})`);
    this.name = "ChaosError";
    this.call = call;
    this.seed = seed;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link ChaosError} (from any copy of sluice). */
export function isChaosError(value: unknown): value is ChaosError {
  return hasSluiceCode(value, CODE);
}
