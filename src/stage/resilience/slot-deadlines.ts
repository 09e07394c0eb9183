import { TimeoutError } from "../../errors/timeout-error.js";
import type { Clock } from "../../policy/clock.js";

/** A slot as the deadlines see it: when its call must end, and what it holds. */
export interface TimedSlot {
  /** When the slot's call times out, on the clock; `Infinity` while it runs none. */
  deadline: number;
  readonly index: number;
}

/**
 * A stage's `timeout` when it hedges nothing: one timer over its slots' deadlines. A slot
 * stamps its deadline when an async call starts in it (one clock read) and clears it when the
 * call settles; the timer fires at the earliest deadline, expires the slots that are due, and
 * sets itself for the next. A call that settles in time leaves nothing behind.
 */
export class SlotDeadlines {
  readonly timeoutMs: number;
  readonly #clock: Clock;
  readonly #stage: string;
  readonly #slots: readonly TimedSlot[];
  readonly #expire: (slot: TimedSlot, error: TimeoutError) => void;
  #timer: unknown = undefined;
  #armedAt = Infinity;
  #stopped = false;

  constructor(
    timeoutMs: number,
    clock: Clock,
    stage: string,
    slots: readonly TimedSlot[],
    expire: (slot: TimedSlot, error: TimeoutError) => void,
  ) {
    this.timeoutMs = timeoutMs;
    this.#clock = clock;
    this.#stage = stage;
    this.#slots = slots;
    this.#expire = expire;
  }

  /** An async call started in `slot`. */
  started(slot: TimedSlot): void {
    const deadline = this.#clock.now() + this.timeoutMs;
    slot.deadline = deadline;
    // Later calls are due later: only a timer that is not set moves.
    if (this.#armedAt === Infinity && !this.#stopped) this.#arm(deadline);
  }

  /** Clears the timer for good: the stage finished or stopped. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
  }

  #arm(due: number): void {
    this.#armedAt = due;
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, due - this.#clock.now()));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    if (this.#stopped) return;
    const now = this.#clock.now();
    let next = Infinity;
    for (const slot of this.#slots) {
      const deadline = slot.deadline;
      if (deadline === Infinity) continue;
      if (deadline <= now) {
        slot.deadline = Infinity;
        const elapsed = now - deadline + this.timeoutMs;
        this.#expire(slot, new TimeoutError(this.#stage, slot.index, elapsed, this.timeoutMs));
        if (this.#stopped) return;
      } else if (deadline < next) {
        next = deadline;
      }
    }
    if (next !== Infinity && this.#armedAt === Infinity) this.#arm(next);
  };
}
