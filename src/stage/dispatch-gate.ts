import type { StageGate } from "../contract/stage.js";

/**
 * A stage's live width: dispatch starts an item only while `inFlight < limit`. Flow control
 * changes the number while a run goes (pause, resume, `setConcurrency`, adaptive limiters)
 * without rebuilding anything; worker slots are created lazily up to `max`, the largest limit
 * ever set. `stopped` is the stage's own stop flag, read per burst.
 */
export class DispatchGate implements StageGate {
  /** Most items inside the function at once, now: the target, or 0 while paused. */
  limit: number;
  /** The width flow control set last, paused or not. */
  target: number;
  /** The largest limit ever set: how many slots may exist. */
  max: number;
  /** Whether the run is paused: no new item starts, in-flight ones finish. */
  paused = false;
  /** Whether the stage is stopping: no new item starts. */
  stopped = false;
  /**
   * Whether the per-item path must look closer before it reuses a slot: the stage stopped, is
   * paused, or the limit was set below the largest width (slots taken may exceed it). One
   * field to test in the common case instead of three.
   */
  guarded = false;
  /** Why the stage stopped: what in-flight signals abort with. */
  reason: unknown = undefined;
  /** Whether an adaptive limiter sets the width. */
  adaptive = false;
  #onChange: () => void = () => {};
  /** The most the width may be whatever is asked: the slots with their resource made. */
  #ceiling = Number.POSITIVE_INFINITY;

  constructor(limit: number) {
    this.limit = limit;
    this.target = limit;
    this.max = limit;
  }

  /** Sets the live width (an integer >= 0, checked by the caller) and wakes dispatch. */
  setLimit(limit: number): void {
    this.target = limit;
    if (limit > this.max) this.max = limit;
    this.#apply();
  }

  /** Pauses (no item starts; in-flight ones finish) or resumes, and wakes dispatch. */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    this.#apply();
  }

  /**
   * Caps the live width at `ceiling` whatever flow control asks (a stage with `resources`:
   * only slots whose resource is made may take an item), and wakes dispatch.
   */
  setCeiling(ceiling: number): void {
    this.#ceiling = ceiling;
    this.#apply();
  }

  /** Called whenever the limit changes: the stage dispatches again. */
  onChange(callback: () => void): void {
    this.#onChange = callback;
  }

  /** Marks the stage stopping with `reason`; idempotent. */
  stop(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.guarded = true;
    this.reason = reason;
  }

  #apply(): void {
    this.limit = this.paused ? 0 : Math.min(this.target, this.#ceiling);
    this.guarded = this.stopped || this.limit < this.max;
    this.#onChange();
  }
}
