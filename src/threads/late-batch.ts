/**
 * Work stealing's choice of a batch to split: the one that has run longest past what its
 * items should take.
 * @module
 */
import type { StageBatch } from "./stage-batch.js";

/** {@link lateBatch}'s answer. */
export interface LateBatch {
  /** The batch to take the tail of, if one is late. */
  readonly victim: StageBatch | undefined;
  /** Ms until the first batch not late yet will be (`Infinity`: none will). */
  readonly lateInMs: number;
}

/**
 * The batch sent first among those on a thread, of two items or more, not tried yet and
 * late: it has run twice what its items should take (`msPerItem` each), and a millisecond
 * more. When none is late, when the first of them will be. A batch of items stolen once
 * qualifies only while it waits behind another message on its thread: first in line, it is
 * being read or run, and its lateness may be no more than the time its items take to copy
 * (taking its tail would copy them again, and the next idle thread would take theirs).
 */
export function lateBatch(
  batches: Iterable<StageBatch>,
  msPerItem: number,
  now: number,
): LateBatch {
  let victim: StageBatch | undefined;
  let lateInMs = Number.POSITIVE_INFINITY;
  for (const batch of batches) {
    if (batch.stealTried || batch.thread === undefined || batch.items.length < 2) continue;
    if (batch.stolen && !batch.thread.waitsBehind(batch.message.id)) continue;
    const lateIn = batch.sentAt + 2 * msPerItem * batch.items.length + 1 - now;
    if (lateIn > 0) {
      lateInMs = Math.min(lateInMs, lateIn);
      continue;
    }
    if (victim === undefined || batch.sentAt < victim.sentAt) victim = batch;
  }
  return { victim, lateInMs };
}
