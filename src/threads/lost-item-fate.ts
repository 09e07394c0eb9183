/**
 * What becomes of each item of a batch whose thread went away before answering: the rule
 * that nothing is lost, and that a call that may have killed its thread runs once more, alone,
 * before it fails.
 * @module
 */
import type { LostCause } from "./pool-thread.js";
import type { StageBatch } from "./stage-batch.js";

/** A thread's loss that leaves its stage going: a crash, a timeout, an eviction. */
export type ThreadLoss = Exclude<LostCause, { reason: "closed" }>;

/** The fates {@link lostItemFate} tells apart. */
export const LostFate = {
  /** Its own call ran past the timeout: it fails with a `TimeoutError`. */
  timedOut: 0,
  /** Its bytes had moved to the lost thread (`transfer`): it fails, with nothing to send. */
  transferred: 1,
  /** Not a suspect: sent again as it was (it never ran, or its thread died of another call). */
  again: 2,
  /** A suspect of a crash, the first time: sent again, marked, so it goes alone. */
  retry: 3,
  /** A suspect of a crash, the second time: it fails with a `WorkerCrashedError`. */
  crashed: 4,
} as const;

/** One of {@link LostFate}. */
export type LostFateCode = (typeof LostFate)[keyof typeof LostFate];

/**
 * The fate of position `i` of `batch`, lost for `cause`. After a crash the suspects are the
 * call that was running, when the thread was in this batch's sync calls, or every item, when
 * nothing says which call it was (an async phase, an error thrown from a timer). A suspect is
 * sent again alone, so a second death names it.
 */
export function lostItemFate(
  batch: StageBatch,
  i: number,
  cause: ThreadLoss,
  transfer: boolean,
): LostFateCode {
  if (cause.reason === "timeout" && i === cause.position) return LostFate.timedOut;
  if (transfer) return LostFate.transferred;
  if (cause.reason !== "crash") return LostFate.again;
  const running = cause.running;
  const suspect =
    running === undefined || (running.id === batch.message.id && running.position === i);
  if (!suspect) return LostFate.again;
  return batch.retried?.[i] === true ? LostFate.crashed : LostFate.retry;
}
