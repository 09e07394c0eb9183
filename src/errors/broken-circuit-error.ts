import { previewValue } from "../internal/describe-value.js";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_CIRCUIT_OPEN";

/** What else a {@link BrokenCircuitError} may say about why its circuit opened. */
export interface BrokenCircuitDetail {
  /** Why the circuit opened, for the message: `"5 consecutive failures"`. */
  readonly reason?: string;
  /** The failure that opened the circuit. */
  readonly cause?: unknown;
}

/**
 * A call refused without being made because its circuit is open: a `breaker()` (or a stage's
 * breaker) saw too many failures and fails calls fast until `retryAfter` ms have passed, when
 * it lets a probe through. The message names the key when the breaker is keyed, why the
 * circuit opened, and the ms left; `cause` is the failure that opened it, when known.
 */
export class BrokenCircuitError extends Error {
  /** Always `"ERR_SLUICE_CIRCUIT_OPEN"`. */
  readonly code = CODE;
  /** The key whose circuit is open; `undefined` for a breaker that is not keyed. */
  readonly key: unknown;
  /** Milliseconds until the circuit half-opens and lets a probe through (0: it may now). */
  readonly retryAfter: number;

  declare readonly [kErrorCode]: string;

  /** Pass `undefined` for `key` when the breaker is not keyed. */
  constructor(key: unknown, retryAfter: number, detail?: BrokenCircuitDetail) {
    const which = key === undefined ? "Circuit" : `Circuit for key ${previewValue(key)}`;
    const why = detail?.reason === undefined ? "" : ` after ${detail.reason}`;
    super(
      `${which} is open${why}; failing fast for another ${Math.max(0, Math.ceil(retryAfter))} ms`,
      detail !== undefined && "cause" in detail ? { cause: detail.cause } : undefined,
    );
    this.name = "BrokenCircuitError";
    this.key = key;
    this.retryAfter = retryAfter;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link BrokenCircuitError} (from any copy of sluice). */
export function isBrokenCircuitError(value: unknown): value is BrokenCircuitError {
  return hasSluiceCode(value, CODE);
}
