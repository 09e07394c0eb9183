import { trackedBatch } from "../ledger/lineage.js";
import { ChunkChannel } from "../channel/chunk-channel.js";
import type { RunControl } from "../contract/run-control.js";
import type { Stage, StageInput } from "../contract/stage.js";
import type { BatchStageSpec } from "../contract/stage-spec.js";
import type { StageStats } from "../contract/summary.js";
import { InputCursor } from "./stage-input.js";
import { stageStats } from "./stage-stats.js";

/**
 * Groups items into arrays of `size`, emitting a partial batch once `maxWait` ms have passed
 * since its first item (one timer per batch, none per item) and at the end of the input.
 * Holds at most one batch in the making plus `buffer` batches in its output channel.
 */
export class BatchStage implements Stage {
  readonly spec: BatchStageSpec;
  readonly name: string;
  readonly output: ChunkChannel<unknown>;
  readonly capacity: number;
  readonly #cursor: InputCursor<unknown>;
  readonly #run: RunControl;
  #batch: unknown[] = [];
  #timer: NodeJS.Timeout | undefined;
  #due = false;
  #room: Promise<void> | undefined;
  #wakeRoom: (() => void) | undefined;
  #wakeInput: (() => void) | undefined;
  #inputArmed = false;
  #spaceArmed = false;
  #in = 0;
  #out = 0;
  #cancelled = 0;
  #emitted = 0;
  #stopped = false;
  #resolveDone!: () => void;
  /** Resolves when the stage has finished; never rejects. */
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });

  constructor(spec: BatchStageSpec, input: StageInput<unknown>, run: RunControl) {
    this.spec = spec;
    this.name = spec.name;
    this.output = new ChunkChannel<unknown>(spec.buffer);
    this.capacity = spec.size * (spec.buffer + 1);
    this.#cursor = new InputCursor(input);
    this.#run = run;
  }

  start(): void {
    void this.#loop().finally(this.#finished);
  }

  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
    this.#wake();
  }

  collectLeftovers(): void {
    this.#cursor.discard();
  }

  /** A batch stage calls no function: no item fails in it. */
  failedBy(): Record<string, number> {
    return {};
  }

  get queueDepth(): number {
    return this.#cursor.waiting;
  }

  stats(): StageStats {
    // In flight: the batch being formed (one at most), not its items.
    return stageStats(this.spec, 1, {
      in: this.#in,
      out: this.#out,
      filtered: 0,
      failed: 0,
      cancelled: this.#cancelled,
      abandoned: 0,
      retried: 0,
      hedged: 0,
      shed: 0,
      discarded: this.#cursor.discarded,
      emitted: this.#emitted,
      maxInFlight: this.#in > 0 ? 1 : 0,
      inFlight: this.#batch.length > 0 ? 1 : 0,
    });
  }

  async #loop(): Promise<void> {
    const cursor = this.#cursor;
    const run = this.#run;
    const size = this.spec.size;
    for (;;) {
      if (this.#stopped) return;
      if (this.#due || this.#batch.length >= size) {
        if (!this.#hasRoom()) {
          await this.#waitRoom();
          continue;
        }
        this.#emitBatch();
        if (run.mustYield(size)) await new Promise<void>((resolve) => run.yieldThen(resolve));
        continue;
      }
      if (cursor.position >= cursor.buffer.length && !cursor.tryRefill()) {
        if (cursor.ended) break;
        await this.#waitInput();
        continue;
      }
      const item = cursor.take();
      this.#in++;
      this.#batch.push(item);
      if (this.#batch.length === 1 && Number.isFinite(this.spec.maxWait)) {
        this.#timer = setTimeout(this.#onMaxWait, this.spec.maxWait);
      }
    }
    // End of input: the last, partial batch still goes out.
    while (this.#batch.length > 0 && !this.#stopped) {
      if (this.#hasRoom()) this.#emitBatch();
      else await this.#waitRoom();
    }
  }

  readonly #onMaxWait = (): void => {
    this.#timer = undefined;
    if (this.#batch.length === 0) return;
    this.#due = true;
    this.#wake();
  };

  #emitBatch(): void {
    this.#clearTimer();
    this.#due = false;
    const batch = this.#batch;
    this.#batch = [];
    this.#out += batch.length;
    this.#emitted++;
    this.output.pushChunk([this.spec.tracked === true ? trackedBatch(batch) : batch]);
  }

  #hasRoom(): boolean {
    return this.output.size < this.spec.buffer;
  }

  #waitRoom(): Promise<void> {
    this.#room ??= new Promise<void>((resolve) => {
      this.#wakeRoom = resolve;
    });
    if (!this.#spaceArmed) {
      this.#spaceArmed = true;
      this.output.onSpace(this.#onSpace);
    }
    return this.#room;
  }

  /** Waits for input, or for the batch timer: whichever comes first wakes the loop. */
  #waitInput(): Promise<void> {
    if (!this.#inputArmed) {
      this.#inputArmed = true;
      this.#cursor.onData(this.#onInput);
    }
    return new Promise<void>((resolve) => {
      this.#wakeInput = resolve;
    });
  }

  readonly #onSpace = (): void => {
    this.#spaceArmed = false;
    this.#wake();
  };

  readonly #onInput = (): void => {
    this.#inputArmed = false;
    this.#wake();
  };

  #wake(): void {
    const room = this.#wakeRoom;
    const input = this.#wakeInput;
    this.#room = undefined;
    this.#wakeRoom = undefined;
    this.#wakeInput = undefined;
    room?.();
    input?.();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  readonly #finished = (): void => {
    this.#clearTimer();
    if (this.#stopped) {
      this.#cancelled += this.#batch.length;
      this.#batch = [];
    }
    this.output.close();
    this.#resolveDone();
  };
}
