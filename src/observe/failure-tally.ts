/**
 * Counts a stage's failed items by error class: what `run.metrics()` reports as `failedBy`.
 * Touched only when an item fails (never on the success path); holds one entry per class
 * name seen, so its size is bounded by the kinds of error the stage's function throws.
 */
export class FailureTally {
  readonly #counts = new Map<string, number>();

  /** Counts one failed item whose call threw or rejected with `error`. */
  add(error: unknown): void {
    const name = errorClassOf(error);
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
  }

  /** The counts as a plain object, class name → failed items. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}

/**
 * The class an error is counted under: its `name` (what sluice's errors and most libraries
 * set: `TimeoutError`, `BrokenCircuitError`), or its constructor's name when `name` was left
 * `"Error"` by a subclass; for a thrown non-error, its type (`"string"`, `"undefined"`,
 * `"null"`).
 */
export function errorClassOf(error: unknown): string {
  if (error === null) return "null";
  if (typeof error !== "object" && typeof error !== "function") return typeof error;
  let name: unknown;
  try {
    name = (error as { name?: unknown }).name;
  } catch {
    name = undefined;
  }
  const constructorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
  if (
    typeof name === "string" &&
    name !== "" &&
    (name !== "Error" || constructorName === "Error")
  ) {
    return name;
  }
  return typeof constructorName === "string" && constructorName !== "" ? constructorName : "Object";
}
