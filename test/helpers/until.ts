import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves once `check()` holds, asking every `pollMs`; a check that throws or rejects
 * counts as not yet (a consumer group not created yet). Rejects after `ms`.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 15_000,
  pollMs = 10,
): Promise<void> {
  const end = Date.now() + ms;
  const holds = async (): Promise<boolean> => {
    try {
      return await check();
    } catch {
      return false;
    }
  };
  while (!(await holds())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await sleep(pollMs);
  }
}
