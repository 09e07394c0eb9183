import { describeCause } from "../errors/describe-cause.js";
import { toJsonText } from "./json-value.js";

/** An error as a dead-letter line carries it: plain JSON, readable by any tool. */
export interface SerializedError {
  /** The error's `name` (`"TypeError"`, `"TimeoutError"`); for a thrown non-Error, its type. */
  readonly name: string;
  /** The error's `message`; for a thrown non-Error, the value as text. */
  readonly message: string;
  /** The error's `code` (`"ECONNRESET"`, `"ERR_SLUICE_TIMEOUT"`, an HTTP status), when it has one. */
  readonly code?: string | number;
  /** The error's `stack`, when it has one. */
  readonly stack?: string;
  /** The error's `cause`, serialised the same way, down to 5 levels of causes. */
  readonly cause?: SerializedError;
  /** An `AggregateError`'s `errors`, serialised the same way (the first 10). */
  readonly errors?: readonly SerializedError[];
  /**
   * A thrown value that is not an Error (an object, an array), as JSON: what was thrown, in
   * full. Absent for Errors and for primitives (the message says it all).
   */
  readonly value?: unknown;
}

/** How many levels of `cause` (and of `errors`) {@link serializeError} follows. */
const maxCauseDepth = 5;

const MAX_AGGREGATED = 10;

/**
 * Turns anything thrown into a {@link SerializedError}: `{ name, message, code?, stack?,
 * cause?, errors?, value? }`. Errors (from any realm: a worker thread, `vm`) keep their
 * name, message, `code` (a string or a number), stack, `cause` chain (at most
 * 5 levels; a cause met twice ends the chain) and an `AggregateError`'s
 * errors. A thrown string `s` becomes `{ name: "string", message: s }`; a thrown object
 * becomes `{ name: "object", message, value }`, with its own `message`, `name` and `code` when
 * it has them, and itself as JSON in `value`.
 *
 * Never throws: a getter that throws, or a proxy, yields what could be read. Use it to write
 * errors to your own sinks in the format `deadLetterFile()` writes.
 */
export function serializeError(error: unknown): SerializedError {
  return serialize(error, 0, new Set());
}

function serialize(error: unknown, depth: number, seen: Set<unknown>): SerializedError {
  seen.add(error);
  try {
    return isErrorLike(error) ? fromError(error, depth, seen) : fromValue(error);
  } catch (thrown) {
    // A getter or a proxy trap that throws: say so rather than lose the dead letter.
    return { name: "Error", message: `[Unserializable error: ${describeCause(thrown)}]` };
  }
}

function fromError(error: Error, depth: number, seen: Set<unknown>): SerializedError {
  const { name, message, stack } = error;
  const code = (error as { code?: unknown }).code;
  const cause = error.cause;
  const errors = (error as { errors?: unknown }).errors;
  const nested = depth < maxCauseDepth;
  return {
    name: typeof name === "string" ? name : "Error",
    message: typeof message === "string" ? message : describeCause(message),
    ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
    ...(typeof stack === "string" ? { stack } : {}),
    ...(cause !== undefined && nested && !seen.has(cause)
      ? { cause: serialize(cause, depth + 1, seen) }
      : {}),
    ...(Array.isArray(errors) && nested
      ? {
          errors: errors
            .slice(0, MAX_AGGREGATED)
            .filter((inner) => !seen.has(inner))
            .map((inner) => serialize(inner, depth + 1, seen)),
        }
      : {}),
  };
}

function fromValue(value: unknown): SerializedError {
  if (typeof value !== "object" || value === null) {
    return { name: value === null ? "null" : typeof value, message: describeCause(value) };
  }
  const { name, message, code } = value as { name?: unknown; message?: unknown; code?: unknown };
  const text = toJsonText(value);
  return {
    name: typeof name === "string" ? name : Array.isArray(value) ? "array" : "object",
    message: typeof message === "string" ? message : (text ?? describeCause(value)),
    ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
    ...(text === undefined ? {} : { value: JSON.parse(text) as unknown }),
  };
}

/** An Error from this realm or another (a `vm` context, a structured clone). */
function isErrorLike(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === "[object Error]";
}
