import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_CHANNEL_CLOSED";

/** Thrown by `send()` on a channel that was closed; the items it carried were not added. */
export class ChannelClosedError extends Error {
  /** Always `"ERR_SLUICE_CHANNEL_CLOSED"`. */
  readonly code = CODE;

  declare readonly [kErrorCode]: string;

  constructor(operation: string, unsent: number) {
    super(`Cannot ${operation} on a closed channel (${unsent} item(s) not sent)`);
    this.name = "ChannelClosedError";
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link ChannelClosedError} (from any copy of sluice). */
export function isChannelClosedError(value: unknown): value is ChannelClosedError {
  return hasSluiceCode(value, CODE);
}
