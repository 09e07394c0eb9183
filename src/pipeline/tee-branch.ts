import { Channel } from "../channel/channel.js";
import type { TeeSpec } from "../contract/stage-spec.js";
import type { TeeStats } from "../contract/summary.js";
import type { Pipeline } from "./pipeline.js";
import type { Run } from "./run.js";

/**
 * One run's side path of a `.tee()`: a channel of `buffer` items that the tee stage offers
 * each item to, and the branch's own run reading it. `"drop"` never holds the main path back:
 * an item the channel has no room for is counted as dropped; `"block"` waits for room. The
 * branch runs from the first offer to the end of the main run; when it fails, the tee fails
 * with its error, so the main run fails too.
 */
export class TeeBranch {
  readonly #spec: TeeSpec;
  readonly #name: string;
  readonly #channel: Channel<unknown>;
  #run: Run<unknown> | undefined;
  #drained: Promise<unknown> | undefined;
  #failure: { error: unknown } | undefined;
  #offered = 0;
  #dropped = 0;

  constructor(spec: TeeSpec, name: string) {
    this.#spec = spec;
    this.#name = name;
    this.#channel = new Channel(spec.buffer);
  }

  /** The tee stage's function: offers `item` to the branch (and waits for room in "block"). */
  readonly offer = (item: unknown): undefined | Promise<void> => {
    if (this.#failure !== undefined) throw this.#failure.error;
    if (this.#run === undefined) this.#start();
    this.#offered++;
    if (this.#channel.trySend(item)) return undefined;
    if (this.#spec.mode === "drop") {
      this.#dropped++;
      return undefined;
    }
    return this.#channel.send(item);
  };

  /**
   * The main run settled: a completed one lets the branch read what is queued and end
   * (resolving with its error if it failed); otherwise the branch is cancelled.
   */
  async close(completed: boolean): Promise<unknown> {
    if (!completed) {
      this.#channel.abort(new Error(`The run of ${this.#name}'s main path ended`));
      if (this.#run !== undefined) await this.#run.cancel();
      return undefined;
    }
    if (this.#run === undefined) this.#start();
    this.#channel.close();
    await this.#drained;
    return this.#failure?.error;
  }

  /** What `run.stats()` shows of the branch. */
  stats(): TeeStats {
    return {
      name: this.#name,
      mode: this.#spec.mode,
      buffer: this.#spec.buffer,
      offered: this.#offered,
      dropped: this.#dropped,
      queued: this.#channel.size,
      ...(this.#run === undefined ? {} : { run: this.#run.stats() }),
    };
  }

  #start(): void {
    const run = (this.#spec.branch as Pipeline<unknown>).withSource(this.#channel).run();
    this.#run = run;
    this.#drained = run.drain().then(
      () => undefined,
      (error: unknown) => {
        this.#failure = { error };
        // Offers waiting for room, and later ones, fail with the branch's error.
        this.#channel.abort(error);
      },
    );
  }
}
