import type { StageFn } from "../../contract/types.js";
import { TimeoutError } from "../../errors/timeout-error.js";
import { AttemptContext } from "./attempt-context.js";

/** What a {@link GuardedCall} reports to the stage's guard. */
export interface CallOwner {
  readonly stage: string;
  readonly fn: StageFn<unknown, unknown>;
  /** The stage's `timeout` in ms; `Infinity` without one. */
  readonly timeoutMs: number;
  now(): number;
  /** The call's item has its outcome; `latency` is the winning call's, or -1 on a failure. */
  decided(call: GuardedCall, latency: number): void;
  /** A call of this attempt was abandoned at its timeout (it had not settled). */
  abandoned(): void;
  /** Every call of a decided attempt has settled: what they held is free. */
  released(call: GuardedCall): void;
}

/** Why a hedge's losing call is aborted: it is not needed any more. */
function hedgeLost(): Error {
  const error = new Error("Another call of this item finished first (hedged request)");
  error.name = "AbortError";
  return error;
}

/**
 * One attempt of an item in a stage with a `timeout` or a `hedge`: its call, perhaps a second
 * (hedged) call, and the deadline over both. The attempt settles its promise once: with the
 * first call to succeed, with a `TimeoutError` at the deadline, or with the error of the call
 * that failed last. Calls still running then are aborted and kept until they settle (the
 * owner counts what they hold), so a dependency that ignores its signal cannot make work in
 * flight grow without bound. No timer of its own: the stage's {@link CallWatch} looks at every
 * running attempt when the earliest of their deadlines or hedge times comes.
 */
export class GuardedCall {
  readonly item: unknown;
  readonly index: number;
  readonly slot: number;
  readonly attempt: number;
  /** When the first call started, on the owner's clock. */
  readonly started: number;
  readonly promise: Promise<unknown>;
  /** Whether the watch has hedged this attempt, or decided not to. */
  hedgeLooked = false;
  readonly #owner: CallOwner;
  /** The slot's resource: a hedge's second call uses the same one. */
  readonly #resource: unknown;
  readonly #primary: AttemptContext;
  #hedge: AttemptContext | undefined = undefined;
  /** Calls started and not settled. */
  #running = 1;
  #decided = false;
  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;

  constructor(
    owner: CallOwner,
    item: unknown,
    index: number,
    slot: number,
    attempt: number,
    started: number,
    resource: unknown,
  ) {
    this.#owner = owner;
    this.#resource = resource;
    this.item = item;
    this.index = index;
    this.slot = slot;
    this.attempt = attempt;
    this.started = started;
    this.#primary = new AttemptContext(owner.stage, slot, index, attempt, resource);
    this.promise = new Promise<unknown>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Whether the attempt has its outcome. */
  get decided(): boolean {
    return this.#decided;
  }

  /** Whether a second call was started. */
  get hedged(): boolean {
    return this.#hedge !== undefined;
  }

  /**
   * Calls the function. Returns its value when it answered synchronously (a sync throw
   * propagates): such an attempt is over and the caller forgets it. Otherwise `undefined`, and
   * the attempt's outcome comes through `promise`.
   */
  begin(): { readonly value: unknown } | undefined {
    const result = this.#owner.fn(this.item, this.#primary);
    if (
      typeof result !== "object" ||
      result === null ||
      typeof (result as PromiseLike<unknown>).then !== "function"
    ) {
      this.#running = 0;
      this.#decided = true;
      return { value: result };
    }
    (result as PromiseLike<unknown>).then(this.#primaryValue, this.#primaryError);
    return undefined;
  }

  /** Starts the second call of a hedged request (the watch checked the time and the budget). */
  startHedge(): void {
    if (this.#decided || this.#hedge !== undefined) return;
    const ctx = new AttemptContext(
      this.#owner.stage,
      this.slot,
      this.index,
      this.attempt,
      this.#resource,
      true,
    );
    this.#hedge = ctx;
    this.#running++;
    let result: unknown;
    try {
      result = this.#owner.fn(this.item, ctx);
    } catch (error) {
      this.#hedgeError(error);
      return;
    }
    Promise.resolve(result).then(this.#hedgeValue, this.#hedgeError);
  }

  /** The deadline passed: the attempt fails with a `TimeoutError`; running calls are aborted. */
  timeOut(now: number): void {
    if (this.#decided) return;
    const owner = this.#owner;
    const error = new TimeoutError(owner.stage, this.index, now - this.started, owner.timeoutMs);
    for (let i = 0; i < this.#running; i++) owner.abandoned();
    this.#decide(error, false, -1);
    this.#primary.abort(error);
    this.#hedge?.abort(error);
  }

  /** The stage stopped: abort every call of the attempt with `reason`. */
  abort(reason: unknown): void {
    this.#primary.abort(reason);
    this.#hedge?.abort(reason);
  }

  readonly #primaryValue = (value: unknown): void => {
    this.#settledOk(value, this.#hedge);
  };

  readonly #primaryError = (error: unknown): void => {
    this.#settledFailed(error);
  };

  readonly #hedgeValue = (value: unknown): void => {
    this.#settledOk(value, this.#primary);
  };

  readonly #hedgeError = (error: unknown): void => {
    this.#settledFailed(error);
  };

  #settledOk(value: unknown, other: AttemptContext | undefined): void {
    this.#running--;
    if (!this.#decided) {
      this.#decide(value, true, this.#owner.now() - this.started);
      if (this.#running > 0) other?.abort(hedgeLost());
    }
    if (this.#running === 0) this.#owner.released(this);
  }

  #settledFailed(error: unknown): void {
    this.#running--;
    // With another call still running, its outcome decides: the first success wins.
    if (!this.#decided && this.#running === 0) this.#decide(error, false, -1);
    if (this.#running === 0 && this.#decided) this.#owner.released(this);
  }

  #decide(outcome: unknown, ok: boolean, latency: number): void {
    this.#decided = true;
    this.#owner.decided(this, latency);
    if (ok) this.#resolve(outcome);
    else this.#reject(outcome);
  }

  /** Whether a call of this decided attempt is still running (the owner holds its place). */
  get lingering(): boolean {
    return this.#running > 0;
  }
}
