/**
 * Lets every pending promise callback run: a `setImmediate` turn comes after the microtask
 * queue has drained, including callbacks queued by callbacks.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Lets `turns` event-loop turns run (3 by default), so work that settled can release its
 * handles: a socket or a worker closes in the close phase of a later turn than the one its
 * `close()` was called in.
 */
export async function settleTurns(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await settle();
}

/**
 * The active resources by kind, e.g. `Timeout → 2`, from `process.getActiveResourcesInfo()`:
 * timers and immediates that keep the process alive (not `unref()`ed ones), handles (sockets,
 * servers, message ports, child processes) and pending requests (file system calls, DNS).
 */
export function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}
