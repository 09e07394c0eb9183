import type { CheckpointState } from "./checkpoint-store.js";

/**
 * Most positions a saved state lists past its watermark. An item that runs long while
 * thousands after it complete would otherwise make every save larger; the ones left out are
 * only done again after a kill (at least once, never lost).
 */
export const MAX_SAVED_DONE = 10_000;

/**
 * A run's progress in source order: each item read gets a sequence number; as items complete
 * (in any order), the watermark moves over every run of completed ones, and the position of
 * the item at the watermark is what a resumed run reads after. Completed items past the
 * watermark are kept by sequence until it reaches them: at most what the run holds at once.
 */
export class Progress<P> {
  #next = 0;
  /** Every sequence number up to this one is completed. */
  #watermark = -1;
  #position: P | undefined;
  /** Positions of the items read and not yet passed by the watermark. */
  readonly #positions = new Map<number, P>();
  /** Completed items past the watermark. */
  readonly #completed = new Set<number>();
  /**
   * Positions a previous run completed past its watermark, by their JSON: skipped when read
   * again, and saved again until then.
   */
  readonly #skip: Map<string, P>;
  #changes = 0;

  constructor(saved: CheckpointState<P> | undefined) {
    this.#position = saved?.position;
    this.#skip = new Map(
      (saved?.done ?? []).map((position) => [JSON.stringify(position), position]),
    );
  }

  /** Where the run resumes: read after this position. */
  get resumeAfter(): P | undefined {
    return this.#position;
  }

  /** Completions since the last {@link snapshot}. */
  get changes(): number {
    return this.#changes;
  }

  /** Whether a previous run completed the item at `position` already (asked once per item). */
  completedBefore(position: P): boolean {
    return this.#skip.size > 0 && this.#skip.delete(JSON.stringify(position));
  }

  /** An item was read at `position`: its sequence number. */
  read(position: P): number {
    const seq = this.#next++;
    this.#positions.set(seq, position);
    return seq;
  }

  /** The item `seq` is completed. */
  complete(seq: number): void {
    this.#changes++;
    if (seq !== this.#watermark + 1) {
      this.#completed.add(seq);
      return;
    }
    let at = seq;
    for (;;) {
      this.#position = this.#positions.get(at);
      this.#positions.delete(at);
      if (!this.#completed.delete(at + 1)) break;
      at++;
    }
    this.#watermark = at;
  }

  /** The state to save; counts as saved (changes go back to 0). */
  snapshot(): CheckpointState<P> {
    this.#changes = 0;
    const done: P[] = [];
    for (const seq of this.#completed) {
      if (done.length === MAX_SAVED_DONE) break;
      done.push(this.#positions.get(seq)!);
    }
    for (const position of this.#skip.values()) {
      if (done.length === MAX_SAVED_DONE) break;
      done.push(position);
    }
    return { position: this.#position, done };
  }
}
