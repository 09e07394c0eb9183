import type { Limiter } from "./limiter.js";
import type { DispatchGate } from "../stage/dispatch-gate.js";

/**
 * Calls faster than this are timed one in {@link SAMPLE_EVERY}: the clock is read twice per
 * timed call, which would cost an async stage of cheap items a third of its speed (S1).
 */
const TIME_ALL_FROM_MS = 1;
const SAMPLE_EVERY = 32;

/** The limit a limiter's estimate allows: rounded down, within `1..max`. */
export function clampLimit(value: number, max: number, fallback: number): number {
  if (!Number.isFinite(value)) return fallback;
  return Math.max(1, Math.min(max, Math.floor(value)));
}

/** The width a stage with `limiter` starts with. */
export function startingLimit(limiter: Limiter, max: number): number {
  return clampLimit(limiter.limit, max, 1);
}

/**
 * A function stage's side of its limiter: times its async calls (all of them while they take
 * a millisecond or more, 1 in 32 while they are faster), reports each finished call, and sets
 * the stage's gate to the limit the limiter answers.
 */
export class StageLimit {
  readonly #limiter: Limiter;
  readonly #gate: DispatchGate;
  readonly #max: number;
  /** Per slot: when its call started (ms), or -1 when that call is not timed. */
  readonly #startedAt: number[] = [];
  /** Per slot: calls in flight when its call started. */
  readonly #inFlightAtStart: number[] = [];
  #every = 1;
  #untilTimed = 1;
  /** The last clock reading, for the reports of calls that were not timed. */
  #now = Date.now();
  /** The limiter's limit when last applied to the gate. */
  #lastRaw = Number.NaN;
  /** Looks at the input for a limiter that follows the backlog. */
  #watching: NodeJS.Timeout | undefined;

  constructor(limiter: Limiter, max: number, gate: DispatchGate) {
    this.#limiter = limiter;
    this.#gate = gate;
    this.#max = max;
    gate.adaptive = true;
  }

  /** An async call started in `slot`, with `inFlight` calls in flight counting it. */
  started(slot: number, inFlight: number): void {
    this.#inFlightAtStart[slot] = inFlight;
    if (--this.#untilTimed > 0) {
      this.#startedAt[slot] = -1;
      return;
    }
    this.#untilTimed = this.#every;
    this.#startedAt[slot] = this.#now = Date.now();
  }

  /** The call in `slot` finished: succeeded, or `dropped` (failed, timed out). */
  finished(slot: number, dropped: boolean): void {
    const startedAt = this.#startedAt[slot] ?? -1;
    let latency = Number.NaN;
    if (startedAt >= 0) {
      const now = (this.#now = Date.now());
      latency = now - startedAt;
      this.#every = latency >= TIME_ALL_FROM_MS ? 1 : SAMPLE_EVERY;
      if (this.#untilTimed > this.#every) this.#untilTimed = this.#every;
    }
    this.#limiter.onSample(latency, this.#inFlightAtStart[slot] ?? 1, dropped, this.#now);
    this.#apply();
  }

  /**
   * Starts showing the limiter how full the stage's input is, every `observeEvery` ms, if it
   * asks to see it (`elastic()`). The timer does not keep the process alive by itself.
   */
  watch(fill: () => number): void {
    const limiter = this.#limiter;
    if (limiter.observeInput === undefined || this.#watching !== undefined) return;
    this.#watching = setInterval(() => {
      limiter.observeInput!(fill(), Date.now());
      this.#apply();
    }, limiter.observeEvery);
    this.#watching.unref();
  }

  /** Stops {@link watch}: the stage stopped or finished. */
  unwatch(): void {
    if (this.#watching !== undefined) clearInterval(this.#watching);
    this.#watching = undefined;
  }

  #apply(): void {
    // Most samples leave the limit as it was: compare before rounding and clamping.
    const raw = this.#limiter.limit;
    if (raw === this.#lastRaw) return;
    this.#lastRaw = raw;
    const limit = clampLimit(raw, this.#max, this.#gate.target);
    if (limit !== this.#gate.target) this.#gate.setLimit(limit);
  }
}
