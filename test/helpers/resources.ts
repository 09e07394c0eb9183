/**
 * Leak checks: compares `process.getActiveResourcesInfo()` (timers, immediates, handles,
 * pending requests) before and after a block. The runner's own resources are the baseline,
 * so only what the block left behind shows up.
 */
export async function assertNoLeaks<T>(block: () => Promise<T>): Promise<T> {
  await settleTurns();
  const before = countResources();
  const result = await block();
  await settleTurns();
  const after = countResources();
  const leaked: string[] = [];
  for (const [kind, count] of after) {
    const extra = count - (before.get(kind) ?? 0);
    if (extra > 0) leaked.push(`${kind} × ${extra}`);
  }
  if (leaked.length > 0) {
    throw new Error(`Resources left behind: ${leaked.join(", ")}`);
  }
  return result;
}

/** The active resources by kind, e.g. `Timeout → 2`. */
export function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/** Lets pending microtasks and one macrotask turn run, so settled work releases its handles. */
export async function settleTurns(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
