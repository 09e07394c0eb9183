import { Channel } from "../channel/channel.js";
import type { RunControl } from "../contract/run-control.js";
import type { Stage, StageInput } from "../contract/stage.js";
import type { RouteStageSpec } from "../contract/stage-spec.js";
import type { StageStats, TeeStats } from "../contract/summary.js";
import { StageError } from "../errors/stage-error.js";
import { FailureTally } from "../observe/failure-tally.js";
import { AsyncSource } from "../source/async-source.js";
import { MergedInputs } from "../source/merged-inputs.js";
import { branchOutput } from "./branch-output.js";
import { InputCursor } from "./stage-input.js";
import { kIdleCounters, stageStats } from "./stage-stats.js";

/** What a route stage needs of a branch pipeline: a run of it over another source. */
interface BranchPipeline {
  withSource(source: AsyncIterable<unknown>): { run(): BranchRun };
}

/** What a route stage needs of a branch's run. */
interface BranchRun extends AsyncIterator<unknown> {
  stats(): TeeStats["run"] & object;
  cancel(reason?: unknown): Promise<unknown>;
}

/** One branch of one run: its side path and its run. */
interface Branch {
  readonly name: string;
  readonly channel: Channel<unknown>;
  readonly run: BranchRun;
  offered: number;
}

/**
 * `.route(item => name, { name: branch => … })`: each item goes to the branch its function
 * names, a pipeline of its own run beside the main path and fed through a buffer of
 * `buffer` items (a full buffer holds the route back: backpressure reaches the main path);
 * the branches' outputs are merged into the route's output, round robin. The route ends once
 * its input has ended and every branch has emitted its last value. An item whose function
 * throws, or names no branch, fails the run; so does a branch that fails (with its error).
 */
export class RouteStage implements Stage {
  readonly spec: RouteStageSpec;
  readonly name: string;
  /** The branches' outputs, merged: what the next stage reads. */
  readonly output: AsyncSource<unknown>;
  readonly #cursor: InputCursor<unknown>;
  readonly #run: RunControl;
  readonly #branches = new Map<string, Branch>();
  readonly #failures = new FailureTally();
  #in = 0;
  #out = 0;
  #failed = 0;
  #cancelled = 0;
  #stopped = false;
  readonly #fed: Promise<void>;
  #startFeeding!: () => void;
  readonly done: Promise<void>;

  constructor(spec: RouteStageSpec, input: StageInput<unknown>, run: RunControl) {
    this.spec = spec;
    this.name = spec.name;
    this.#cursor = new InputCursor(input);
    this.#run = run;
    for (const [name, pipeline] of Object.entries(spec.branches)) {
      const channel = new Channel<unknown>(spec.buffer);
      const branchRun = (pipeline as BranchPipeline).withSource(channel).run();
      this.#branches.set(name, { name, channel, run: branchRun, offered: 0 });
    }
    const runs = [...this.#branches.values()].map((branch) => branch.run);
    const merged = new MergedInputs(runs as unknown as AsyncIterable<unknown>[], {
      signal: run.signal,
    });
    this.output = new AsyncSource(branchOutput(merged, run), spec.buffer, run);
    this.#fed = new Promise<void>((resolve) => (this.#startFeeding = resolve)).then(() =>
      this.#feed(),
    );
    this.done = Promise.all([this.#fed, this.output.done]).then(() => undefined);
  }

  start(): void {
    this.output.start();
    this.#startFeeding();
  }

  stop(reason: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const branch of this.#branches.values()) branch.channel.abort(reason);
    this.output.stop();
    this.#startFeeding();
  }

  collectLeftovers(): void {
    this.#cursor.discard();
  }

  failedBy(): Record<string, number> {
    return this.#failures.snapshot();
  }

  get queueDepth(): number {
    return this.#cursor.waiting;
  }

  stats(): StageStats {
    let queued = 0;
    for (const branch of this.#branches.values()) queued += branch.channel.size;
    return stageStats(this.spec, 1, {
      ...kIdleCounters,
      in: this.#in,
      out: this.#out,
      failed: this.#failed,
      cancelled: this.#cancelled,
      discarded: this.#cursor.discarded,
      emitted: this.output.pulled,
      maxInFlight: this.#in > 0 ? 1 : 0,
      inFlight: queued,
    });
  }

  /** Each branch's figures, named `<route>.<branch>`. */
  branches(): TeeStats[] {
    return [...this.#branches.values()].map((branch) => ({
      name: `${this.name}.${branch.name}`,
      mode: "block",
      buffer: this.spec.buffer,
      offered: branch.offered,
      dropped: 0,
      queued: branch.channel.size,
      run: branch.run.stats(),
    }));
  }

  /** Hands each input item to its branch, waiting for room; closes the branches at the end. */
  async #feed(): Promise<void> {
    const cursor = this.#cursor;
    while (!this.#stopped) {
      if (!cursor.tryRefill()) {
        if (cursor.ended) break;
        await new Promise<void>((resolve) => cursor.onData(resolve));
        continue;
      }
      const buffer = cursor.buffer;
      while (cursor.position < buffer.length && !this.#stopped) {
        const item = buffer[cursor.position];
        const index = this.#in++;
        cursor.advanceTo(cursor.position + 1);
        const branch = this.#branchOf(item, index);
        if (branch === undefined) return;
        branch.offered++;
        this.#out++;
        if (branch.channel.trySend(item)) continue;
        try {
          await branch.channel.send(item);
        } catch {
          // The branch failed or the run stopped (the run reports why): the item never went.
          branch.offered--;
          this.#out--;
          this.#cancelled++;
          return;
        }
      }
      if (this.#run.mustYield(buffer.length)) {
        await new Promise<void>((resolve) => this.#run.yieldThen(resolve));
      }
    }
    if (this.#stopped) return;
    for (const branch of this.#branches.values()) branch.channel.close();
  }

  /** The branch `item` goes to; `undefined` when the item failed the run. */
  #branchOf(item: unknown, index: number): Branch | undefined {
    let name: unknown;
    try {
      name = this.spec.route(item);
    } catch (error) {
      this.#fail(item, index, error);
      return undefined;
    }
    const branch = typeof name === "string" ? this.#branches.get(name) : undefined;
    if (branch === undefined) {
      const names = [...this.#branches.keys()].map((n) => JSON.stringify(n)).join(", ");
      this.#fail(
        item,
        index,
        new TypeError(
          `The route function named ${JSON.stringify(name) ?? String(name)}, which is none of the branches (${names})`,
        ),
      );
    }
    return branch;
  }

  #fail(item: unknown, index: number, error: unknown): void {
    this.#failed++;
    this.#failures.add(error);
    this.#run.fail(new StageError(this.name, item, index, error));
  }
}
