/**
 * What the stream adapters (`toReadable`, `toWeb`) need of a run: its output iterator, the
 * two ways to stop it, and the promise that says it has settled. A `Run` is one; so is any
 * object of this shape (a wrapper that counts calls, say).
 *
 * Declared apart from the `Run` class so the adapters do not import it: `run.ts` imports
 * them, and imports only run one way.
 */
export interface ConsumableRun<T> {
  /**
   * The next output, or `done` once the run has completed (or was stopped quietly) and
   * settled. Rejects with the run's error (a `StageError`, `SourceError`, `CancelledError`,
   * ...) once it has settled. The adapters keep at most one call pending.
   */
  next(): Promise<IteratorResult<T, unknown>>;
  /** Stops the run quietly (its consumers see `done`, no error); resolves once it settled. */
  return(): Promise<unknown>;
  /**
   * Cancels the run with `reason` (its consumers then throw a `CancelledError` whose cause
   * is `reason`); resolves once it settled.
   */
  cancel(reason: unknown): Promise<unknown>;
  /** Resolves once every part of the run has settled, whatever the outcome. */
  readonly settled: Promise<unknown>;
}
