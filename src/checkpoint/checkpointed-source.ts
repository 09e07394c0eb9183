import type { AcknowledgedSource, Delivery, DeliveryContext } from "../contract/acknowledged.js";
import { describeValue } from "../internal/describe-value.js";
import { acknowledged } from "../ledger/acknowledged.js";
import type { Checkpoint } from "./checkpoint.js";
import type { CheckpointState } from "./checkpoint-store.js";
import { Progress } from "./progress.js";
import type { Positioned, Seekable } from "./seekable.js";

/**
 * `source` read from where `checkpoint`'s store says a previous run stopped, as an
 * acknowledged source: the run's completion tracking tells when each item is completed, and
 * the progress is saved as often as the checkpoint asks, and once more when the run settles.
 */
export function checkpointed<T, P>(
  source: Seekable<T, P>,
  checkpoint: Checkpoint<P>,
): AcknowledgedSource<T> {
  const acked = acknowledged<T>((context) => new CheckpointDeliveries(source, checkpoint, context));
  return Object.freeze({ ...acked, [kCheckpointed]: true });
}

const kCheckpointed: unique symbol = Symbol("sluice.checkpointed") as never;

/** Whether `source` is a checkpointed source (an acknowledged one, not a broker's). */
export function isCheckpointed(source: unknown): boolean {
  return (
    typeof source === "object" &&
    source !== null &&
    (source as { [kCheckpointed]?: unknown })[kCheckpointed] === true
  );
}

/** One run's deliveries from a checkpointed source. */
class CheckpointDeliveries<T, P> implements AsyncIterable<Delivery<T>> {
  readonly #source: Seekable<T, P>;
  readonly #checkpoint: Checkpoint<P>;
  readonly #context: DeliveryContext;
  #progress: Progress<P> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> | undefined;
  #again = false;
  #saveError: unknown;
  #failed = false;
  #skipped = 0;
  #saves = 0;
  #closed = false;

  constructor(source: Seekable<T, P>, checkpoint: Checkpoint<P>, context: DeliveryContext) {
    this.#source = source;
    this.#checkpoint = checkpoint;
    this.#context = context;
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery<T>> {
    return this.#read();
  }

  async *#read(): AsyncGenerator<Delivery<T>> {
    const progress = new Progress<P>(await this.#load());
    this.#progress = progress;
    if (this.#checkpoint.everyMs !== undefined) {
      this.#timer = setInterval(() => {
        if (progress.changes > 0) this.#save();
      }, this.#checkpoint.everyMs);
      this.#timer.unref();
    }
    const items = this.#source.read(progress.resumeAfter, { signal: this.#context.signal });
    for await (const item of items as AsyncIterable<Positioned<T, P>>) {
      const { value, position } = checkPositioned<T, P>(item);
      const seq = progress.read(position);
      if (progress.completedBefore(position)) {
        this.#skipped++;
        progress.complete(seq);
        continue;
      }
      // Acked or nacked, the item is completed: a skipped failure is not run again.
      const complete = () => this.#complete(seq);
      yield { value, ack: complete, nack: complete };
    }
  }

  async #load(): Promise<CheckpointState<P> | undefined> {
    let saved: unknown;
    try {
      saved = await this.#checkpoint.store.load();
    } catch (error) {
      throw new Error(`Could not load the checkpoint from ${this.#where()}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    if (saved === undefined || saved === null) return undefined;
    if (
      typeof saved !== "object" ||
      !("position" in saved) ||
      !Array.isArray((saved as CheckpointState<P>).done)
    ) {
      throw new TypeError(
        `Expected the checkpoint in ${this.#where()} to be { position, done: [] }, got ${describeValue(saved)}`,
      );
    }
    const state = saved as CheckpointState<P | null>;
    // JSON keeps "nothing completed yet" as null.
    return { position: state.position ?? undefined, done: state.done as P[] };
  }

  /** An item (and all derived from it) is completed; a failed save fails the run here. */
  #complete(seq: number): void {
    if (this.#saveError !== undefined && !this.#failed) {
      this.#failed = true;
      throw this.#saveError;
    }
    const progress = this.#progress!;
    progress.complete(seq);
    const every = this.#checkpoint.everyItems;
    if (every !== undefined && progress.changes >= every) this.#save();
  }

  /** Saves the progress; one save at a time, the latest state after the one in flight. */
  #save(): void {
    if (this.#saving !== undefined) {
      this.#again = true;
      return;
    }
    const state = this.#progress!.snapshot();
    this.#saving = this.#checkpoint.store.save(state).then(
      () => {
        this.#saves++;
        this.#saving = undefined;
        if (this.#again) {
          this.#again = false;
          this.#save();
        }
      },
      (error: unknown) => {
        this.#saving = undefined;
        this.#saveError ??= new Error(
          `Could not save the checkpoint to ${this.#where()}: ${messageOf(error)}`,
          { cause: error },
        );
      },
    );
  }

  /** The run has settled: the last progress is saved, and the store and source let go. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    try {
      while (this.#saving !== undefined) await this.#saving;
      if (this.#progress !== undefined && this.#saveError === undefined) {
        this.#again = false;
        this.#save();
        while (this.#saving !== undefined) await this.#saving;
      }
    } finally {
      await Promise.all([this.#checkpoint.store.close?.(), this.#source.close?.()]);
    }
    if (this.#saveError !== undefined) throw this.#saveError;
  }

  stats(): Readonly<Record<string, number>> {
    return { skipped: this.#skipped, checkpoints: this.#saves };
  }

  #where(): string {
    return this.#checkpoint.store.description ?? "the checkpoint store";
  }
}

function checkPositioned<T, P>(item: unknown): Positioned<T, P> {
  if (
    typeof item !== "object" ||
    item === null ||
    !("value" in item) ||
    !("position" in item) ||
    (item as Positioned<T, P>).position === undefined
  ) {
    throw new TypeError(
      `Expected each item of a seekable source to be { value, position } with a JSON position, got ${describeValue(item)}`,
    );
  }
  return item as Positioned<T, P>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
