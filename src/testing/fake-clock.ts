import { invalid } from "../internal/validate.js";
import type { Clock } from "../policy/clock.js";
import { settle } from "./settle.js";

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/** {@link FakeClock.runAll} gives up after this many timers: something keeps re-arming one. */
const RUN_ALL_LIMIT = 100_000;

/**
 * A fake clock: a {@link Clock} whose time moves only when a test says so. Pass it as the
 * `clock` option of `retry()`, `timeout()`, `retryBudget()` or `chaos()`, then call
 * {@link FakeClock.advance} instead of waiting, so a test of a 30 s timeout takes no time and
 * asserts exact delays rather than wall-clock durations with tolerances.
 *
 * Time starts at `start` (ms; any finite number) and never moves by itself.
 *
 * Cost: an array of the pending timers; `setTimeout` is O(1), `clearTimeout` and each fired
 * timer O(pending).
 */
export function fakeClock(start = 0): FakeClock {
  if (typeof start !== "number" || !Number.isFinite(start)) {
    throw invalid("fakeClock(start)", "a finite number of ms", start);
  }
  return new FakeClock(start);
}

/**
 * The clock {@link fakeClock} builds. Timers fire in order of due time, then of creation, and
 * only inside {@link FakeClock.advance} or {@link FakeClock.runAll}, which let promise callbacks
 * run after each timer, so a timer set by a callback during the advance fires too when it falls
 * inside it.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: Timer[] = [];
  /** Every delay passed to `setTimeout`, in order, cleared timers included: for exact asserts. */
  readonly delays: number[] = [];

  /** Prefer {@link fakeClock}, which checks `start`. */
  constructor(start = 0) {
    this.#now = start;
  }

  /** The fake time in ms: `start` plus every advance so far. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` for `now() + ms`; it fires inside a later `advance` or `runAll`. */
  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { id: this.#nextId++, due: this.#now + ms, fn };
    this.#timers.push(timer);
    this.delays.push(ms);
    return timer.id;
  }

  /** Cancels a timer; a handle that fired, was cleared, or is not this clock's is ignored. */
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Moves time forward by `ms` (>= 0), firing every timer that falls due on the way, each at
   * its own due time, and resolves once the promise callbacks they started have run (a
   * `setImmediate` turn after each timer and at the end). Awaiting `advance(0)` fires what is
   * due now and settles pending promises.
   *
   * @throws {InvalidOptionError} when `ms` is not a finite number >= 0.
   */
  async advance(ms: number): Promise<void> {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      throw invalid("fakeClock.advance(ms)", "a finite number >= 0", ms);
    }
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.due > target) break;
      this.#fire(next);
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /**
   * Fires every pending timer, and every timer they set, in due order, moving time to each
   * one's due time, until none is left; resolves with how many fired. For "run until quiet"
   * without working out how far to advance.
   *
   * @throws {Error} after 100,000 timers, which means something keeps setting new ones (a
   *   retry loop with no limit, a poll); use `advance` for those.
   */
  async runAll(): Promise<number> {
    await settle();
    let fired = 0;
    for (let next = this.#earliest(); next !== undefined; next = this.#earliest()) {
      if (fired === RUN_ALL_LIMIT) {
        throw new Error(
          `fakeClock.runAll() fired ${RUN_ALL_LIMIT} timers and more are still set: something keeps setting new ones; advance by a fixed time instead`,
        );
      }
      this.#fire(next);
      fired++;
      await settle();
    }
    return fired;
  }

  #fire(timer: Timer): void {
    this.#timers = this.#timers.filter((each) => each !== timer);
    // A timer set with a negative delay is overdue: time never moves back for it.
    if (timer.due > this.#now) this.#now = timer.due;
    timer.fn();
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers) {
      if (best === undefined || timer.due < best.due) best = timer;
    }
    return best;
  }
}
