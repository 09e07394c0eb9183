import { getEventListeners } from "node:events";
import type { StageContext } from "../contract/types.js";
import type { DispatchGate } from "./dispatch-gate.js";

/**
 * One slot's `ctx`, reused from call to call. `signal` is the call's own: an
 * `AbortController` made the first time the function reads it (nothing is made when it never
 * does) and aborted when the stage stops. Nothing is added to the run's signal per call, so
 * listeners cannot pile up there whatever the function does.
 *
 * A call is known by its `index`: a signal read under another index belongs to an earlier,
 * settled call, and is released then, with no work per call on the path that never reads it.
 * Making an `AbortController` costs about 4 µs on Node 20, more than a whole async call
 * (bench/ S7), so the released controller is handed to the new call, but only while it is
 * unaborted and holds no listener: what an earlier call left behind never reaches a later
 * one, and a listener left behind retires the controller.
 */
export class CallContext implements StageContext {
  index = -1;
  /** Set by a stage with `retry` before each call; 1 otherwise. */
  attempt = 1;
  readonly stage: string;
  readonly slot: number;
  /** The slot's own resource (the stage's `resources`); `undefined` without. */
  resource: unknown = undefined;
  /** The controller of the last call that read its signal: the call with index `#owner`. */
  controller: AbortController | undefined = undefined;
  #owner = -1;
  readonly #gate: DispatchGate;

  constructor(stage: string, slot: number, gate: DispatchGate) {
    this.stage = stage;
    this.slot = slot;
    this.#gate = gate;
  }

  get signal(): AbortSignal {
    let controller = this.controller;
    if (controller !== undefined && this.#owner === this.index) return controller.signal;
    if (
      controller === undefined ||
      controller.signal.aborted ||
      getEventListeners(controller.signal, "abort").length > 0
    ) {
      controller = this.controller = new AbortController();
    }
    this.#owner = this.index;
    if (this.#gate.stopped) controller.abort(this.#gate.reason);
    return controller.signal;
  }

  /** @deprecated Use `slot`; `worker` will name a worker thread. Kept for one release. */
  get worker(): number {
    return this.slot;
  }

  /**
   * Aborts the signal of the slot's current call, if it read one. Aborting a settled call's
   * signal is harmless: no later call receives an aborted controller.
   */
  abortCall(reason: unknown): void {
    this.controller?.abort(reason);
  }
}
