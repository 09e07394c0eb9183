import { constants } from "node:os";

/** Cancellation wired to the process's termination signals. */
export interface Interrupt {
  /** Aborted on the first SIGINT or SIGTERM; pass it to `pipeline.run({ signal })`. */
  readonly signal: AbortSignal;
  /** The signal that arrived, if any. */
  readonly received: NodeJS.Signals | undefined;
  /** The conventional exit code for the signal that arrived: 128 + its number. */
  readonly exitCode: number | undefined;
  /** Removes the listeners. Call it once the run has settled. */
  dispose(): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

/**
 * Turns the first Ctrl-C (or SIGTERM) into an abort, so a run can settle and report what it
 * did instead of dying mid-item. Listeners are `once`: a second Ctrl-C finds none and
 * Node's default handling kills the process, the way out if a run never settles.
 */
export function onInterrupt(): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const listener = (signal: NodeJS.Signals): void => {
    if (received !== undefined) return;
    received = signal;
    for (const other of SIGNALS) if (other !== signal) process.off(other, listener);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  for (const signal of SIGNALS) process.once(signal, listener);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    get exitCode() {
      return received === undefined ? undefined : 128 + constants.signals[received];
    },
    dispose(): void {
      for (const signal of SIGNALS) process.off(signal, listener);
    },
  };
}
