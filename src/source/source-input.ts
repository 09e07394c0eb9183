import type { StageInput } from "../contract/stage.js";

/** A source opened for one run: the first stage's input. */
export interface SourceInput<T> extends StageInput<T> {
  /** Items pulled from the source's iterator so far. */
  readonly pulled: number;
  /** Starts pulling (async sources pump ahead into a bounded channel). */
  start(): void;
  /**
   * Stops pulling and closes the iterator (`return()`) if it did not finish. With `finish`
   * (`run.finish()`), what was read still goes to the first stage: the items read ahead, and
   * the one a read under way brings.
   */
  stop(finish?: boolean): void;
  /** Resolves once the iterator is finished or closed; never rejects. */
  readonly done: Promise<void>;
}
