import { valueOf } from "../ledger/track-specs.js";
import type {
  AttemptFailure,
  DeadLetter,
  DeadLetterContext,
  StageContext,
} from "../contract/types.js";
import { StageError } from "../errors/stage-error.js";
import { isThenable } from "./thenable.js";

/** What the error policy needs of the stage whose item failed. */
export interface FailureHost {
  readonly name: string;
  /** Whether the stage is stopping: a failure now is the cancellation itself. */
  readonly stopping: boolean;
  /** The item was cancelled, not failed: count it and free its place. */
  cancelledItem(): void;
  /** Counts the item as failed, with `error`'s class. */
  countFailed(error: unknown): void;
  /** Emits `{ ok: false, error, item }` in the item's place (`onError: "collect"`). */
  emitFailure(index: number, failure: { ok: false; error: unknown; item: unknown }): void;
  /**
   * The failed item leaves the stage without output (`"skip"`): `deadLettered` when a dead
   * letter took it, else it was dropped with `error`.
   */
  skipped(index: number, item: unknown, error: unknown, deadLettered: boolean): void;
  /** Frees the item's place and fails the run with `error`. */
  failRun(error: StageError): void;
}

/** A stage's error policy, resolved once from its options. */
export interface ErrorPolicyPlan {
  readonly collect: boolean;
  readonly skip: boolean;
  readonly deadLetter: DeadLetter<unknown> | undefined;
}

/**
 * Applies the stage's `onError` to an item whose function threw or rejected. Returns a
 * promise only when an async dead-letter callback must finish first (it never rejects).
 * `history` lists the item's failed attempts, the last one `error`'s; without it (no
 * retry) the dead letter hears of one attempt.
 */
export function applyErrorPolicy(
  host: FailureHost,
  plan: ErrorPolicyPlan,
  item: unknown,
  index: number,
  error: unknown,
  ctx: StageContext,
  history?: readonly AttemptFailure[],
): Promise<void> | undefined {
  if (host.stopping) {
    // Errors after the stage stopped are the cancellation itself, not the item's failure.
    host.cancelledItem();
    return undefined;
  }
  host.countFailed(error);
  if (plan.collect) {
    host.emitFailure(index, { ok: false, error, item });
    return undefined;
  }
  if (!plan.skip) {
    host.failRun(new StageError(host.name, valueOf(item), index, error));
    return undefined;
  }
  const deadLetter = plan.deadLetter;
  if (deadLetter !== undefined) {
    try {
      const pending = deadLetter(item, error, deadLetterContext(ctx, index, error, history));
      if (isThenable(pending)) {
        return Promise.resolve(pending).then(
          () => host.skipped(index, item, error, true),
          (thrown: unknown) => {
            host.failRun(
              new StageError(host.name, valueOf(item), index, thrown, "deadLetter threw on"),
            );
          },
        );
      }
    } catch (thrown) {
      host.failRun(new StageError(host.name, valueOf(item), index, thrown, "deadLetter threw on"));
      return undefined;
    }
  }
  host.skipped(index, item, error, deadLetter !== undefined);
  return undefined;
}

/**
 * A snapshot of the failed call's `ctx` for its dead letter: the slot's own `ctx` moves on to
 * the next item while an async dead letter runs. Made only on the dead-letter path.
 */
function deadLetterContext(
  ctx: StageContext,
  index: number,
  error: unknown,
  history: readonly AttemptFailure[] | undefined,
): DeadLetterContext {
  const signal = ctx.signal;
  return {
    signal,
    index,
    stage: ctx.stage,
    slot: ctx.slot,
    worker: ctx.slot,
    resource: ctx.resource,
    attempt: history === undefined ? ctx.attempt : history.length,
    history: history ?? [{ attempt: ctx.attempt, error, at: Date.now() }],
  };
}
