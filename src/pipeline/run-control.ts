/** What the parts of a run (source, stages) may ask of the run that owns them. */
export interface RunControl {
  /** Aborted when the run is cancelled or fails; handed to every stage function. */
  readonly signal: AbortSignal;
  /** Whether the run is stopping (cancelled or failed): take no new items. */
  readonly stopped: boolean;
  /** Fails the run with `error` unless it is already stopping. */
  fail(error: unknown): void;
}
