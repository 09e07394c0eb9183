/**
 * A stage's live width: dispatch starts an item only while `inFlight < limit`. Flow control
 * changes the number while a run goes (pause is 0, resume, `setConcurrency`, adaptive
 * limiters) without rebuilding anything; worker slots are created lazily up to `max`, the
 * largest limit ever set. `stopped` is the stage's own stop flag, read per burst.
 */
export class DispatchGate {
  /** Most items inside the function at once, now. */
  limit: number;
  /** The largest limit ever set: how many slots may exist. */
  max: number;
  /** Whether the stage is stopping: no new item starts. */
  stopped = false;
  /**
   * Whether the per-item path must look closer before it reuses a slot: the stage stopped, or
   * the limit was set below the largest width (slots taken may exceed it). One field to test
   * in the common case instead of two.
   */
  guarded = false;
  /** Why the stage stopped: what in-flight signals abort with. */
  reason: unknown = undefined;
  #onChange: () => void = () => {};

  constructor(limit: number) {
    this.limit = limit;
    this.max = limit;
  }

  /** Sets the live width (an integer >= 0, checked by the caller) and wakes dispatch. */
  setLimit(limit: number): void {
    this.limit = limit;
    if (limit > this.max) this.max = limit;
    this.guarded = this.stopped || limit < this.max;
    this.#onChange();
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
}
