/**
 * Inputs and stage functions shared by every scenario, so all contenders do the same work.
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";

/**
 * The source of every scenario: a sync generator of `0, 1, …, n - 1`.
 * @param {number} n
 * @returns {Generator<number>}
 */
export function* gen(n) {
  for (let i = 0; i < n; i++) yield i;
}

/** The async stage of S1/S2: `async x => x + 1`. */
export const inc = async (x) => x + 1;

/** The sync stage of S6: `x => x + 1`. */
export const incSync = (x) => x + 1;

/** The async no-op of S5. */
export const identity = async (x) => x;

/** The I/O stage of S3: a 5 ms timer, then `x + 1`. */
export async function sleepInc(x) {
  await sleep(5);
  return x + 1;
}

/** The stage of S7 without a signal: a 0 ms timer (`await setTimeout(0)`), then `x + 1`. */
export async function tickInc(x) {
  await sleep(0);
  return x + 1;
}

/**
 * The stage of S7: a 0 ms timer given the call's signal (`ctx.signal` in sluice), then `x + 1`.
 * @param {number} x
 * @param {{ signal: AbortSignal }} ctx
 */
export async function tickIncSignal(x, ctx) {
  await sleep(0, undefined, { signal: ctx.signal });
  return x + 1;
}

/**
 * Sum of `i + offset` for `i` in `0 … n - 1` (exact below 2^53: fine up to ~100M items).
 * @param {number} n
 * @param {number} offset
 */
export function expectedSum(n, offset) {
  return (n * (n - 1)) / 2 + offset * n;
}
