import type { Destination, DestinationWriter } from "../contract/destination.js";
import type { FunctionStageSpec, StageSpec } from "../contract/stage-spec.js";
import type { TeeStats } from "../contract/summary.js";
import { TeeBranch } from "./tee-branch.js";

/**
 * What one run opens beside its stages and lets go once it has settled: the writers of its
 * `.to()` stages (each opened on the stage's first write) and the branch runs of its
 * `.tee()` stages.
 */
export class RunAttachments {
  readonly #writers: DestinationWriter<unknown>[] = [];
  readonly #branches: TeeBranch[] = [];

  /** The specs with each `.to()` and `.tee()` stage bound to this run's writer or branch. */
  bind(specs: readonly StageSpec[]): readonly StageSpec[] {
    if (
      !specs.some(
        (spec) =>
          "concurrency" in spec && (spec.destination !== undefined || spec.tee !== undefined),
      )
    ) {
      return specs;
    }
    return Object.freeze(
      specs.map((spec) => {
        if (!("concurrency" in spec)) return spec;
        if (spec.destination !== undefined) return this.#bound(spec, spec.destination);
        if (spec.tee !== undefined) {
          const branch = new TeeBranch(spec.tee, spec.name);
          this.#branches.push(branch);
          return Object.freeze<FunctionStageSpec>({ ...spec, fn: branch.offer });
        }
        return spec;
      }),
    );
  }

  /** Whether anything was opened (and so must be let go). */
  get opened(): boolean {
    return this.#writers.length > 0 || this.#branches.length > 0;
  }

  /** The tee branches' figures, in pipeline order. */
  branches(): TeeStats[] | undefined {
    return this.#branches.length === 0 ? undefined : this.#branches.map((b) => b.stats());
  }

  /**
   * Closes every writer opened and ends every branch (read to its end when the run
   * `completed`, cancelled otherwise); resolves with the first error met, if any.
   */
  async close(completed: boolean): Promise<unknown> {
    const results = await Promise.allSettled([
      ...this.#writers.map((writer) => writer.close()),
      ...this.#branches.map(async (branch) => {
        const error = await branch.close(completed);
        if (error !== undefined) throw error;
      }),
    ]);
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
