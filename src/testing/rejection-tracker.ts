/** What {@link trackRejections} returns: the rejections seen, and the off switch. */
export interface RejectionTracking {
  /** The reasons of promises that were rejected with no handler, and still have none. */
  unhandled(): unknown[];
  /** Stops tracking; once no tracker is left, the listeners it set aside are put back. */
  stop(): void;
}

type Tracker = Map<Promise<unknown>, unknown>;
type Listener = (...args: unknown[]) => void;

const trackers = new Set<Tracker>();
/** The `unhandledRejection` listeners set aside while trackers run. */
let setAside: Listener[] = [];

const onUnhandled = (reason: unknown, promise: Promise<unknown>): void => {
  for (const tracker of trackers) tracker.set(promise, reason);
};
const onHandled = (promise: Promise<unknown>): void => {
  for (const tracker of trackers) tracker.delete(promise);
};

/**
 * Starts collecting unhandled rejections (Node's `unhandledRejection` event); a promise that
 * gets a handler later (`rejectionHandled`) is taken off the list again.
 *
 * While any tracker runs, the process's other `unhandledRejection` listeners (a test runner's)
 * are set aside and put back afterwards, so a rejection is reported once, by whoever tracks it,
 * and does not also fail whatever test the runner thinks it belongs to. Under
 * `--unhandled-rejections=strict` Node raises the rejection as an uncaught exception first,
 * which this does not catch.
 */
export function trackRejections(): RejectionTracking {
  const tracker: Tracker = new Map();
  if (trackers.size === 0) {
    setAside = process.rawListeners("unhandledRejection") as Listener[];
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", onUnhandled);
    process.on("rejectionHandled", onHandled);
  }
  trackers.add(tracker);
  return {
    unhandled: () => [...tracker.values()],
    stop: () => {
      if (!trackers.delete(tracker) || trackers.size > 0) return;
      process.off("unhandledRejection", onUnhandled);
      process.off("rejectionHandled", onHandled);
      // rawListeners keeps `once` wrappers as they are, so a once-listener stays one.
      for (const listener of setAside) process.on("unhandledRejection", listener);
      setAside = [];
    },
  };
}
