/**
 * What the parts of a run (source, stages) may ask of the run that owns them. `stopped` is a
 * plain field rather than a getter: a stage reads it once per item, and a getter is a real
 * call until the optimizing compiler has caught up.
 */
export class RunControl {
  /** Whether the run is stopping (cancelled or failed): take no new items. Set by the run. */
  stopped = false;
  /** Aborted when the run is cancelled or fails; handed to every stage function. */
  readonly signal: AbortSignal;
  /** Fails the run with `error` unless it is already stopping. */
  readonly fail: (error: unknown) => void;

  constructor(signal: AbortSignal, fail: (error: unknown) => void) {
    this.signal = signal;
    this.fail = fail;
  }
}
