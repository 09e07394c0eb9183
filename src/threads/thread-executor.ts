import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { type Executor, kExecutor, type kExecutorTypes } from "../contract/executor.js";
import type { RunControl } from "../contract/run-control.js";
import type { Stage, StageInput } from "../contract/stage.js";
import type { FunctionKind, FunctionStageSpec } from "../contract/stage-spec.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { MAX_BATCH } from "./batch-sizer.js";
import type { ResolvedThreadOptions } from "./thread-options.js";
import { BATCHES_PER_THREAD } from "./thread-pool.js";
import { ThreadStage } from "./thread-stage.js";

/** The executor `thread()` makes: a module to run on a pool's threads, with its options. */
export class ThreadExecutor<I = unknown, O = unknown> implements Executor<I, O> {
  readonly [kExecutor] = true as const;
  /** Type-only; never set: what gives `map()` the item and result types. */
  declare readonly [kExecutorTypes]?: (item: I) => O;
  /** The worker module's URL (`file:`), as the threads import it. */
  readonly url: string;
  readonly options: ResolvedThreadOptions;
  readonly description: string;

  constructor(url: string, options: ResolvedThreadOptions) {
    this.url = url;
    this.options = options;
    const file = url.startsWith("file:") ? basename(fileURLToPath(url)) : url;
    this.description = `threads(${file})`;
  }

  /** Enough items to keep two full batches on every thread. */
  defaultConcurrency(): number {
    return this.options.threads * BATCHES_PER_THREAD * (this.options.batch ?? MAX_BATCH);
  }

  checkStage(kind: FunctionKind): void {
    if (this.options.transfer && (kind === "filter" || kind === "tap")) {
      throw new InvalidOptionError(
        `Option \`thread.transfer\` applies to map, flatMap and forEach stages, got a \`${kind}\` stage: ${kind} emits the item itself, which a transfer leaves detached on the main thread`,
        "thread.transfer",
        true,
      );
    }
  }

  createStage(spec: FunctionStageSpec, input: StageInput<unknown>, run: RunControl): Stage {
    return new ThreadStage(spec, input, run, this as ThreadExecutor);
  }
}
