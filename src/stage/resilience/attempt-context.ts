import type { StageContext } from "../../contract/types.js";

/**
 * The `ctx` of one call in a stage with a `timeout` or a `hedge`: its own, not the slot's,
 * because such a call may outlive its place (a timed-out call that ignores its signal, a
 * hedge's losing call) while the slot moves on to the next item. The `AbortController` is
 * made the first time the function reads `signal`.
 */
export class AttemptContext implements StageContext {
  readonly index: number;
  readonly stage: string;
  readonly slot: number;
  readonly attempt: number;
  /** The slot's resource (`resources`), which the call uses as the slot's own would. */
  readonly resource: unknown;
  /** The second call of a hedged attempt: its item's wait in the queue was timed already. */
  readonly hedge: boolean;
  #controller: AbortController | undefined = undefined;
  /** Why the call was aborted before its signal was read: the signal starts aborted. */
  #reason: unknown = undefined;
  #aborted = false;

  constructor(
    stage: string,
    slot: number,
    index: number,
    attempt: number,
    resource: unknown,
    hedge = false,
  ) {
    this.hedge = hedge;
    this.resource = resource;
    this.stage = stage;
    this.slot = slot;
    this.index = index;
    this.attempt = attempt;
  }

  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = this.#controller = new AbortController();
      if (this.#aborted) controller.abort(this.#reason);
    }
    return controller.signal;
  }

  get worker(): number {
    return this.slot;
  }

  /** Aborts this call's signal (now, or when it is first read); the first reason wins. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
