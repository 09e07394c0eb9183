import { getEventListeners } from "node:events";
import type { StageContext } from "../contract/types.js";
import type { DispatchGate } from "./dispatch-gate.js";

/**
 * One slot's `ctx`, reused from call to call. `signal` is the call's own: an
 * `AbortController` made the first time the function reads it (nothing is made when it never
 * does), aborted when the stage stops, and released when the call settles. Nothing is added
 * to the run's signal per call, so listeners cannot pile up there whatever the function does.
 *
 * Making an `AbortController` costs about 4 µs on Node 20, more than a whole async call
 * (bench/ S7), so a released controller is kept as the slot's spare and handed to a later
 * call, but only while it is unaborted and holds no listener: what an earlier call left
 * behind never reaches the next one, and a listener left behind retires the spare.
 */
export class CallContext implements StageContext {
  index = -1;
  readonly stage: string;
  readonly slot: number;
  /** The current call's controller, once its signal was read. */
  controller: AbortController | undefined = undefined;
  #spare: AbortController | undefined = undefined;
  readonly #gate: DispatchGate;

  constructor(stage: string, slot: number, gate: DispatchGate) {
    this.stage = stage;
    this.slot = slot;
    this.#gate = gate;
  }

  get signal(): AbortSignal {
    let controller = this.controller;
    if (controller === undefined) {
      const spare = this.#spare;
      this.#spare = undefined;
      controller = this.controller =
        spare !== undefined &&
        !spare.signal.aborted &&
        getEventListeners(spare.signal, "abort").length === 0
          ? spare
          : new AbortController();
      if (this.#gate.stopped) controller.abort(this.#gate.reason);
    }
    return controller.signal;
  }

  /** The call settled (or a new one starts): its controller becomes the slot's spare. */
  release(): void {
    this.#spare = this.controller;
    this.controller = undefined;
  }

  /** @deprecated Use `slot`; `worker` will name a worker thread. Kept for one release. */
  get worker(): number {
    return this.slot;
  }

  /** Aborts the current call's signal, if it was read. */
  abortCall(reason: unknown): void {
    this.controller?.abort(reason);
  }
}
