/**
 * A thread stage's record of a batch in flight, and of an item waiting to be sent again.
 * @module
 */
import type { BatchSpans } from "./call-spans.js";
import type { BatchJob, PoolThread } from "./pool-thread.js";

/** A batch of this stage in flight: the main thread's view of its items. */
export interface StageBatch extends BatchJob {
  readonly items: readonly unknown[];
  /** Item i's index: `indices[i]`, or `first + i` for a batch of new items (no array). */
  readonly first: number;
  readonly indices: readonly number[] | undefined;
  /** Per item: whether it already ran once on a thread that died (none, if absent). */
  readonly retried: readonly boolean[] | undefined;
  /** Per item: how many times it has been sent, this time included (1 for all, if absent). */
  readonly attempts: readonly number[] | undefined;
  /** A traced stage's spans of the batch's calls, once it was sent; `undefined` if none. */
  spans: BatchSpans | undefined;
  /** The thread it went to, and when (`performance.now()`), once sent. */
  thread: PoolThread | undefined;
  sentAt: number;
  /**
   * Positions its thread keeps after the rest was taken for an idle thread (see #steal):
   * only these answer; `undefined` while the batch is whole.
   */
  kept: number | undefined;
  /** Whether a steal was tried: a batch is split at most once. */
  stealTried: boolean;
  /**
   * Its items were taken from a late batch once already (see {@link Resend.stolen}): it is
   * split again only while it waits behind another message on its thread.
   */
  readonly stolen: boolean;
}

/** Positions of `batch` its thread runs: all of them, or those it kept after a steal. */
export function keptOf(batch: StageBatch): number {
  return batch.kept ?? batch.items.length;
}

/** Item `i`'s index in the stage's input. */
export function indexOf(batch: StageBatch, i: number): number {
  return batch.indices === undefined ? batch.first + i : batch.indices[i]!;
}

/** An item waiting to be sent again (its thread died, or timed out on another item). */
export interface Resend {
  readonly item: unknown;
  readonly index: number;
  readonly retried: boolean;
  /** The attempt it will be (a tracer sees each send as one). */
  readonly attempt: number;
  /**
   * Taken from a late batch for an idle thread (work stealing). Items whose call is cheap but
   * whose copy is not (records holding big buffers) made every batch look late while its
   * thread was still reading it, and their tails went from thread to thread, copied each
   * time: 100 records of 1 MiB were stolen 3,478 times and took 13 s.
   */
  readonly stolen?: boolean;
}

/**
 * Positions `from` on of a batch that never ran them, as items to send again: the same
 * attempt, since they were never run; `stolen` when they go to an idle thread.
 */
export function unsent(batch: StageBatch, from: number, stolen: boolean): Resend[] {
  const items: Resend[] = [];
  for (let i = from; i < batch.items.length; i++) {
    items.push({
      item: batch.items[i],
      index: indexOf(batch, i),
      retried: batch.retried?.[i] === true,
      attempt: batch.attempts?.[i] ?? 1,
      ...(stolen ? { stolen } : {}),
    });
  }
  return items;
}
