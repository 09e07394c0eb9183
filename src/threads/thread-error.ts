/**
 * Errors across the thread boundary. Structured clone keeps an Error's message and stack but
 * drops its own properties (`code`, `status`, …) and custom class names, which callers
 * branch on: a thread sends this plain record instead, and the main thread rebuilds an Error
 * with the same name, message, stack, properties and cause, of the built-in class it is or
 * extends (a `TypeError`, or a class extending one, is still `instanceof TypeError`).
 * `Buffer`s among the properties, or in a thrown value that is not an Error, stay `Buffer`s
 * (clone alone would make them `Uint8Array`s; see buffer-marks.ts).
 * @module
 */

import { type BufferPath, markBuffers, restoreBuffers } from "./buffer-marks.js";

const kThreadError = "__sluiceThreadError";
const kThrownValue = "__sluiceThrownValue";

/** An error as it crosses to the main thread. */
interface ErrorRecord {
  readonly [kThreadError]: true;
  readonly name: string;
  /** The built-in error class it is, or extends (`TypeError`…): rebuilt as one. */
  readonly builtin: BuiltinName;
  readonly message: string;
  readonly stack: string | undefined;
  readonly props: Record<string, unknown>;
  /** Where `props` holds Buffers, as paths into `[props]`; absent when it holds none. */
  readonly buffers?: readonly BufferPath[];
  readonly cause: unknown;
}

/** The built-in error classes, which an error is rebuilt as (its own class cannot cross). */
const BUILTINS = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
} as const;

type BuiltinName = keyof typeof BUILTINS;

/** Each built-in error class's name, by the class. */
const BUILTIN_NAMES = new Map<unknown, BuiltinName>(
  Object.entries(BUILTINS).map(([name, builtin]) => [builtin, name as BuiltinName]),
);

/** The nearest built-in error class on `error`'s prototype chain. */
function builtinOf(error: Error): BuiltinName {
  for (let proto: unknown = Object.getPrototypeOf(error); proto !== null;) {
    const name = BUILTIN_NAMES.get((proto as { constructor?: unknown }).constructor);
    if (name !== undefined) return name;
    proto = Object.getPrototypeOf(proto);
  }
  return "Error";
}

/** A thrown value that is not an Error and holds `Buffer`s, as it crosses. */
interface ValueRecord {
  readonly [kThrownValue]: true;
  readonly value: unknown;
  /** Where `value` holds Buffers, as paths into `[value]`. */
  readonly buffers: readonly BufferPath[];
}

/** Turns what a call threw into something `postMessage` can carry (on the thread). */
export function errorToRecord(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) {
    if (!cloneable(error)) return String(error);
    const buffers = markBuffers([error]);
    if (buffers === undefined) return error;
    const record: ValueRecord = { [kThrownValue]: true, value: error, buffers };
    return record;
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === "cause") continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    if (cloneable(value)) props[key] = value;
  }
  const cause = (error as { cause?: unknown }).cause;
  const buffers = markBuffers([props]);
  const record: ErrorRecord = {
    [kThreadError]: true,
    name: error.name,
    builtin: builtinOf(error),
    message: error.message,
    stack: error.stack,
    props,
    ...(buffers === undefined ? {} : { buffers }),
    cause: cause === undefined || depth > 3 ? undefined : errorToRecord(cause, depth + 1),
  };
  return record;
}

/** Rebuilds an error sent by {@link errorToRecord} (on the main thread). */
export function recordToError(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (kThrownValue in value) {
    const thrown = value as ValueRecord;
    const holder = [thrown.value];
    restoreBuffers(holder, thrown.buffers);
    return holder[0];
  }
  if (!(kThreadError in value)) return value;
  const record = value as ErrorRecord;
  const cause = record.cause === undefined ? undefined : recordToError(record.cause);
  const Builtin = Object.hasOwn(BUILTINS, record.builtin) ? BUILTINS[record.builtin] : Error;
  const error = new Builtin(record.message, cause === undefined ? undefined : { cause });
  error.name = record.name;
  if (record.stack !== undefined) error.stack = record.stack;
  if (record.buffers !== undefined) restoreBuffers([record.props], record.buffers);
  Object.assign(error, record.props);
  return error;
}

function cloneable(value: unknown): boolean {
  if (typeof value === "function" || typeof value === "symbol") return false;
  if (typeof value !== "object" || value === null) return true;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
