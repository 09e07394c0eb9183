import type { Destination, DestinationWriter } from "../contract/destination.js";
import type { FunctionStageSpec, StageSpec } from "../contract/stage-spec.js";

/**
 * The writers one run opens on the destinations of its `.to()` stages: each opened on the
 * stage's first write, all closed when the run has settled.
 */
export class RunWriters {
  readonly #writers: DestinationWriter<unknown>[] = [];

  /** The specs with each `.to()` stage writing through this run's own writer. */
  bind(specs: readonly StageSpec[]): readonly StageSpec[] {
    if (!specs.some((spec) => spec.kind === "forEach" && spec.destination !== undefined)) {
      return specs;
    }
    return Object.freeze(
      specs.map((spec) =>
        spec.kind === "forEach" && spec.destination !== undefined
          ? this.#bound(spec, spec.destination)
          : spec,
      ),
    );
  }

  /** Whether any writer was opened (and so must be closed). */
  get opened(): boolean {
    return this.#writers.length > 0;
  }

  /** Closes every writer opened; resolves with the first error a close threw, if any. */
  async close(): Promise<unknown> {
    const results = await Promise.allSettled(this.#writers.map((writer) => writer.close()));
    this.#writers.length = 0;
    const failed = results.find((result) => result.status === "rejected");
    return failed === undefined ? undefined : (failed as PromiseRejectedResult).reason;
  }

  #bound(spec: FunctionStageSpec, destination: Destination<unknown>): FunctionStageSpec {
    let writer: DestinationWriter<unknown> | undefined;
    return Object.freeze<FunctionStageSpec>({
      ...spec,
      fn: (values, ctx) => {
        if (writer === undefined) {
          writer = destination.open({ key: spec.destinationKey });
          this.#writers.push(writer);
        }
        return writer.write(values as readonly unknown[], ctx.signal);
      },
    });
  }
}
