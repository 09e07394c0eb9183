import type { Clock } from "../../policy/clock.js";
import type { GuardedCall } from "./guarded-call.js";

/** What the watch asks of the stage's guard when a running attempt reaches its hedge time. */
export interface HedgeSource {
  /** Ms after its start when an attempt may be hedged now; `Infinity`: not now. */
  hedgeAfter(): number;
  /** Whether the hedge budget allows one more hedge (and counts it). */
  tryHedge(): boolean;
}

/**
 * One timer for a stage's running attempts: it fires at the earliest deadline or hedge time
 * among them, times out or hedges those that are due, and sets itself for the next one. An
 * attempt costs a slot in an array while it runs, never a timer: calls that settle in time
 * leave nothing behind, and a timer that finds nothing running is not set again.
 */
export class CallWatch {
  /** The attempt each slot runs, by slot number. */
  readonly #running: (GuardedCall | undefined)[] = [];
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #hedge: HedgeSource | undefined;
  #timer: unknown = undefined;
  /** When the timer fires; `Infinity` while none is set. */
  #armedAt = Infinity;
  #stopped = false;

  constructor(clock: Clock, timeoutMs: number, hedge: HedgeSource | undefined) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#hedge = hedge;
  }

  /** Watches an attempt that went async. */
  add(call: GuardedCall): void {
    this.#running[call.slot] = call;
    if (this.#stopped) return;
    const due = Math.min(call.started + this.#timeoutMs, this.#hedgeDue(call));
    // Later attempts are due later: only a timer that is not set (or set later) moves.
    if (due < this.#armedAt) this.#arm(due);
  }

  /** Forgets an attempt that has its outcome (its slot may hold the next one already). */
  remove(call: GuardedCall): void {
    if (this.#running[call.slot] === call) this.#running[call.slot] = undefined;
  }

  /** Every attempt running now. */
  *calls(): IterableIterator<GuardedCall> {
    for (const call of this.#running) if (call !== undefined) yield call;
  }

  /** Clears the timer for good: the stage stopped or finished. */
  stop(): void {
    this.#stopped = true;
    this.#disarm();
  }

  #hedgeDue(call: GuardedCall): number {
    if (this.#hedge === undefined || call.hedgeLooked) return Infinity;
    return call.started + this.#hedge.hedgeAfter();
  }

  #arm(due: number): void {
    this.#disarm();
    this.#armedAt = due;
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, due - this.#clock.now()));
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    if (this.#stopped) return;
    const now = this.#clock.now();
    const hedge = this.#hedge;
    const timeoutMs = this.#timeoutMs;
    let next = Infinity;
    // Copied first: timing out an attempt settles promises later, never in this loop, but a
    // hedge's sync call could start and finish attempts while the array is walked.
    for (const call of [...this.#running]) {
      if (call === undefined || call.decided) continue;
      const deadline = call.started + timeoutMs;
      if (deadline <= now) {
        call.timeOut(now);
        continue;
      }
      if (hedge !== undefined && !call.hedgeLooked) {
        const after = hedge.hedgeAfter();
        if (call.started + after <= now) {
          call.hedgeLooked = true;
          if (hedge.tryHedge()) call.startHedge();
        } else if (call.started + after < next) {
          next = call.started + after;
        }
      }
      if (deadline < next) next = deadline;
    }
    if (next !== Infinity) this.#arm(next);
  };
}
