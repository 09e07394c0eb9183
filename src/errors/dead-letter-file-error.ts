import { describeCause } from "./describe-cause.js";
import { brandedInstanceCheck, hasSluiceCode, kErrorCode } from "./sluice-error.js";

const CODE = "ERR_SLUICE_DEAD_LETTER_FILE";

/**
 * What a dead-letter file's writer rejects with when it cannot open or append to its file
 * (a missing directory, `EACCES`, a full disk), and what `replay()` throws when it cannot
 * read the file or meets a line that is not a dead letter. The message names the file (and
 * the line, from 1); the file system's error, when there is one, is `cause`.
 *
 * Thrown from a stage's `deadLetter`, it fails the run as a `StageError` whose `cause` it is.
 */
export class DeadLetterFileError extends Error {
  /** Always `"ERR_SLUICE_DEAD_LETTER_FILE"`. */
  readonly code = CODE;
  /** The file's absolute path. */
  readonly path: string;
  /** The malformed line's number, from 1; `undefined` when the file itself failed. */
  readonly line: number | undefined;

  declare readonly [kErrorCode]: string;

  constructor(message: string, path: string, line?: number, cause?: unknown) {
    super(
      cause === undefined ? message : `${message}: ${describeCause(cause)}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "DeadLetterFileError";
    this.path = path;
    this.line = line;
    Object.defineProperty(this, kErrorCode, { value: CODE });
  }

  static override [Symbol.hasInstance] = brandedInstanceCheck(CODE);
}

/** Returns whether `value` is a {@link DeadLetterFileError} (from any copy of sluice). */
export function isDeadLetterFileError(value: unknown): value is DeadLetterFileError {
  return hasSluiceCode(value, CODE);
}
