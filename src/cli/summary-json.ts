import type { RunSummary } from "../index.js";

/** An error as JSON can carry it: what a script reading `--json` output needs to branch on. */
export interface ErrorJson {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly cause?: ErrorJson;
}

/**
 * Renders a run summary as pretty-printed JSON: the `RunSummary` fields unchanged, except
 * `error`, which `JSON.stringify` would turn into `{}`; it becomes `{ name, message, code,
 * cause }`. Values that are not errors (a cancel reason may be anything) become messages.
 */
export function summaryToJson(summary: RunSummary): string {
  const { error, ...rest } = summary;
  const plain = error === undefined ? rest : { ...rest, error: errorToJson(error, 0) };
  return JSON.stringify(plain, null, 2);
}

function errorToJson(error: unknown, depth: number): ErrorJson {
  if (!(error instanceof Error)) return { name: typeof error, message: describe(error) };
  const code = (error as { code?: unknown }).code;
  // Causes can be cyclic; three levels are enough to say what went wrong.
  const cause =
    error.cause !== undefined && depth < 3 ? errorToJson(error.cause, depth + 1) : undefined;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === "string" ? { code } : {}),
    ...(cause === undefined ? {} : { cause }),
  };
}

function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    // An object without a prototype has no toString.
    return Object.prototype.toString.call(value);
  }
}
