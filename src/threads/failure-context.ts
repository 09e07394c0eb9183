import type { StageContext } from "../contract/types.js";

/** The `ctx` a dead-letter callback gets for a thread stage's failed item (main thread). */
export class FailureContext implements StageContext {
  index = -1;
  readonly attempt = 1;
  /** Thread stages have no per-slot resources. */
  readonly resource = undefined;
  readonly stage: string;
  readonly slot = -1;
  readonly #controller = new AbortController();

  constructor(stage: string, runSignal: AbortSignal) {
    this.stage = stage;
    if (runSignal.aborted) this.#controller.abort(runSignal.reason);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get worker(): number {
    return this.slot;
  }

  abort(reason: unknown): void {
    this.#controller.abort(reason);
  }
}
