import type { Run } from "../../src/index.js";
import type { ConsumableRun } from "../../src/pipeline/consumable-run.js";

/** Probes shared by the stream adapter tests (toReadable, toWeb). */

/** An endless source that counts the items it produced and records when it was closed. */
export function countingSource() {
  const events = { opened: false, produced: 0, closed: false };
  const source = function* () {
    events.opened = true;
    try {
      for (let i = 0; ; i++) {
        events.produced++;
        yield i;
      }
    } finally {
      events.closed = true;
    }
  };
  return { events, source };
}

/** Waits until `signal` aborts, then rejects with its reason, as a well-behaved call does. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
  });
}

/** Wraps a run to count how many `next()` calls are pending at once. */
export function probedRun<T>(run: Run<T>): { run: ConsumableRun<T>; maxPending: () => number } {
  let pending = 0;
  let max = 0;
  return {
    run: {
      next: () => {
        max = Math.max(max, ++pending);
        return run.next().finally(() => pending--);
      },
      return: () => run.return(),
      cancel: (reason) => run.cancel(reason),
      settled: run.settled,
    },
    maxPending: () => max,
  };
}
