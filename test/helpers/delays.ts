import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";

/** How a test stage function spends its time: answers at once, after a microtask, a turn, or a timer. */
export type DelayMode = "sync" | "micro" | "turn" | "timer";

/** Picks a mode per item from a stable hash, so a case replays identically. */
export function delayFor(modes: readonly DelayMode[], item: number, salt: number): DelayMode {
  return modes[hash(item, salt) % modes.length]!;
}

/** Waits as `mode` says; honours `signal` for timers. Returns a promise unless `mode` is sync. */
export function delay(mode: DelayMode, signal?: AbortSignal): Promise<void> | undefined {
  switch (mode) {
    case "sync":
      return undefined;
    case "micro":
      return Promise.resolve();
    case "turn":
      return nextTurn(undefined, { signal }) as Promise<void>;
    case "timer":
      return sleep(1, undefined, { signal }) as Promise<void>;
  }
}

/** A small, stable integer hash. */
export function hash(value: number, salt: number): number {
  let h = (value * 2654435761 + salt * 40503) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 1274126177) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
