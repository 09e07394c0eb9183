import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_INVALID_OPTION";

/**
 * Thrown when a pipeline is built with a bad option or argument. A `TypeError`, so
 * callers that already catch `TypeError` for bad arguments keep working.
 *
 * The message names the option path, what was expected and what was received, e.g.
 * ``Expected `map.concurrency` to be an integer >= 1 or "cpus", got `0` (number)``.
 */
export class InvalidOptionError extends TypeError {
  /** Always `"ERR_SLUICE_INVALID_OPTION"`. */
  readonly code = CODE;
  /** The option path that was wrong, e.g. `"map.concurrency"`. */
  readonly option: string;
  /** The value that was received. */
  readonly value: unknown;

  declare readonly [kErrorCode]: string;

  constructor(message: string, option: string, value: unknown) {
    super(message);
    this.name = "InvalidOptionError";
    this.option = option;
    this.value = value;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is an {@link InvalidOptionError} (from any copy of sluice). */
export function isInvalidOptionError(value: unknown): value is InvalidOptionError {
  return hasSluiceCode(value, CODE);
}
