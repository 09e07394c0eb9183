import type {
  CallSpan,
  CallTracer,
  StageCallHook,
  TracedCall,
  TracedStage,
} from "../contract/call-tracer.js";
import type { Logger } from "./logger.js";

/**
 * The `logEvery` tracer: logs one call in `every` per stage, counted in call order, with
 * the stage, the item's index, attempt, slot (and thread), its duration and how it ended:
 * `debug` when it succeeded, `warn` with the error when it failed. The other calls cost a
 * counter.
 */
export function callLogger(logger: Logger, every: number): CallTracer {
  return {
    forStage(stage: TracedStage): StageCallHook {
      let calls = 0;
      return {
        start(_item: unknown, call: TracedCall): CallSpan | undefined {
          if (++calls < every) return undefined;
          calls = 0;
          return new LoggedCall(logger, stage.name, call);
        },
      };
    },
  };
}

class LoggedCall implements CallSpan {
  readonly #logger: Logger;
  readonly #stage: string;
  readonly #index: number;
  readonly #attempt: number;
  readonly #slot: number;
  readonly #threadId: number | undefined;
  readonly #start = performance.now();

  constructor(logger: Logger, stage: string, call: TracedCall) {
    // The call object is the slot's own context, reused by its next call: copy it now.
    this.#logger = logger;
    this.#stage = stage;
    this.#index = call.index;
    this.#attempt = call.attempt;
    this.#slot = call.slot;
    this.#threadId = call.threadId;
  }

  ok(): void {
    this.#logger.debug(this.#fields(), "sluice call");
  }

  failed(error: unknown): void {
    this.#logger.warn({ ...this.#fields(), err: error }, "sluice call failed");
  }

  #fields(): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      stage: this.#stage,
      index: this.#index,
      attempt: this.#attempt,
      slot: this.#slot,
      ms: Math.round((performance.now() - this.#start) * 1000) / 1000,
    };
    if (this.#threadId !== undefined) fields["threadId"] = this.#threadId;
    return fields;
  }
}
