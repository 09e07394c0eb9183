import type { AttemptFailure, DeadLetterContext } from "../contract/types.js";
import { reviveJson, toJsonText } from "./json-value.js";
import { type SerializedError, serializeError } from "./serialize-error.js";

/** One failed attempt, as a dead-letter line records it. */
export interface DeadLetterAttempt {
  /** The attempt number, from 1. */
  readonly attempt: number;
  /** When it failed, as an ISO 8601 string. */
  readonly at: string;
  /** What it threw. */
  readonly error: SerializedError;
}

/**
 * One line of a dead-letter file (NDJSON: one JSON object per line, `\n`-terminated). Keys
 * are written in this order.
 */
export interface DeadLetterRecord {
  /** The name of the stage that dropped the item. */
  readonly stage: string;
  /** The item's position in that stage's input in that run, from 0. */
  readonly index: number;
  /**
   * The item as the stage received it, as JSON (see `deadLetterFile` for what JSON cannot
   * say). Absent when the item was `undefined`, a function or a symbol.
   */
  readonly item?: unknown;
  /** The last error: the one the stage gave up on. */
  readonly error: SerializedError;
  /** Every failed attempt, in order (one without `retry`); the last one's error is `error`. */
  readonly attempts: readonly DeadLetterAttempt[];
  /** When the dead letter was written, as an ISO 8601 string. */
  readonly at: string;
}

/**
 * The NDJSON line (with its `\n`) for an item a stage dropped. Built at once, while the item
 * is as it failed. Never throws: see `toJsonText` and `serializeError`.
 */
export function recordLine(
  item: unknown,
  error: unknown,
  ctx: DeadLetterContext,
  now: number,
): string {
  const history: readonly AttemptFailure[] = Array.isArray(ctx.history)
    ? ctx.history
    : // A caller that is not a stage (a test, an older copy of sluice) may pass a plain ctx.
      [{ attempt: typeof ctx.attempt === "number" ? ctx.attempt : 1, error, at: now }];
  const attempts = history.map((failure) => ({
    attempt: failure.attempt,
    at: isoTime(failure.at),
    error: serializeError(failure.error),
  }));
  const itemText = toJsonText(item);
  // The item's JSON is spliced in as text: it was produced once, by toJsonText, and the
  // record's other fields are plain JSON.
  return (
    `{"stage":${JSON.stringify(String(ctx.stage))},"index":${JSON.stringify(ctx.index) ?? "null"}` +
    (itemText === undefined ? "" : `,"item":${itemText}`) +
    `,"error":${JSON.stringify(serializeError(error))}` +
    `,"attempts":${JSON.stringify(attempts)},"at":${JSON.stringify(isoTime(now))}}\n`
  );
}

/**
 * Parses one line of a dead-letter file, reviving BigInts. Returns the reason when the line
 * is not a dead letter (not JSON, not an object, no string `stage`).
 */
export function parseRecord(line: string): DeadLetterRecord | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line, reviveJson);
  } catch (error) {
    return `not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return "not a JSON object";
  }
  if (typeof (parsed as { stage?: unknown }).stage !== "string") {
    return 'no "stage" string';
  }
  return parsed as DeadLetterRecord;
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
}
