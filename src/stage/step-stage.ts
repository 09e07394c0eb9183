import type { Tracked } from "../ledger/lineage.js";
import { ChunkChannel } from "../channel/chunk-channel.js";
import { FailureTally } from "../observe/failure-tally.js";
import type { RunControl } from "../contract/run-control.js";
import type { Stage, StageInput } from "../contract/stage.js";
import type { StepStageSpec } from "../contract/stage-spec.js";
import type { StageStats } from "../contract/summary.js";
import { StageError } from "../errors/stage-error.js";
import { OutputStaging } from "./output-staging.js";
import { InputCursor } from "./stage-input.js";
import { stageStats } from "./stage-stats.js";
import { isThenable } from "./thenable.js";

/** What one step did with its item. */
const EMIT = 0;
const DROP = 1;
const END = 2;

/**
 * Runs `take`, `drop`, `scan` or `distinct`: a synchronous step per item, one item at a
 * time, in input order, straight from the input chunk (no promise, no slot). `take` ends the
 * stage after its n-th item and stops everything upstream (the source's iterator gets
 * `return()`), while the stages after it finish normally: the run completes.
 */
export class StepStage implements Stage {
  readonly spec: StepStageSpec;
  readonly name: string;
  readonly output: ChunkChannel<unknown>;
  readonly #cursor: InputCursor<unknown>;
  readonly #failures = new FailureTally();
  readonly #run: RunControl;
  readonly #staging: OutputStaging<unknown>;
  /** scan: the running accumulator; take/drop: items passed or dropped so far. */
  #accumulator: unknown;
  #counted = 0;
  /** Items are `Tracked` (an acknowledged source): a dropped one's lineage is done. */
  readonly #tracked: boolean;
  readonly #seen: Map<unknown, true> | undefined;
  #in = 0;
  #out = 0;
  #filtered = 0;
  #failed = 0;
  #emitted = 0;
  #stopped = false;
  #ended = false;
  #finished = false;
  #busy = false;
  #again = false;
  #inputArmed = false;
  #spaceArmed = false;
  #yieldArmed = false;
  #resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });

  constructor(spec: StepStageSpec, input: StageInput<unknown>, run: RunControl) {
    this.spec = spec;
    this.name = spec.name;
    this.output = new ChunkChannel<unknown>(spec.buffer);
    this.#cursor = new InputCursor(input);
    this.#run = run;
    this.#staging = new OutputStaging(this.output, Math.max(1, spec.buffer >> 1));
    this.#accumulator = spec.kind === "scan" ? spec.initial : undefined;
    this.#seen = spec.kind === "distinct" ? new Map() : undefined;
    this.#tracked = spec.kind !== "scan" && spec.tracked === true;
  }

  start(): void {
    if (this.spec.kind === "take" && this.spec.count === 0) this.#end();
    this.#event();
  }

  stop(): void {
    this.#stopped = true;
    this.#event();
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
    return stageStats(this.spec, 1, {
      in: this.#in,
      out: this.#out,
      filtered: this.#filtered,
      failed: this.#failed,
      cancelled: 0,
      abandoned: 0,
      retried: 0,
      hedged: 0,
      shed: 0,
      discarded: this.#cursor.discarded,
      emitted: this.#emitted,
      maxInFlight: this.#in > 0 ? 1 : 0,
      inFlight: 0,
    });
  }

  #event(): void {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    try {
      do {
        this.#again = false;
        this.#dispatch();
      } while (this.#again);
    } finally {
      this.#busy = false;
    }
  }

  #dispatch(): void {
    if (this.#finished) return;
    if (this.#stopped || this.#ended) {
      this.#finish();
      return;
    }
    const cursor = this.#cursor;
    const staging = this.#staging;
    // Staged values move on at the end of every pass: this stage has no slot to wait in.
    staging.flush();
    for (;;) {
      // A flush wakes the next stage synchronously, and a `take` there may stop this stage
      // (or a throw there fail the run) before the flush returns: take no further item then.
      // The stop queued a pass (`#again`), which finishes the stage.
      if (this.#yieldArmed || this.#stopped) return;
      const room = this.spec.buffer - (staging.values.length + this.output.size);
      if (room <= 0) {
        this.#armSpace();
        return;
      }
      if (!cursor.tryRefill()) {
        if (cursor.ended) this.#finish();
        else this.#armInput();
        return;
      }
      // Reading a sync source may fail the run (it threw after the items it returned): the
      // chunk is then left over, discarded at settle, as a function stage leaves it.
      if (this.#stopped) return;
      const buffer = cursor.buffer;
      const start = cursor.position;
      const end = Math.min(buffer.length, start + room);
      let position = start;
      while (position < end) {
        const item = buffer[position++];
        this.#in++;
        const verdict = this.#step(item, this.#in - 1);
        if (verdict === EMIT) {
          this.#out++;
          this.#emitted++;
          staging.values.push(this.spec.kind === "scan" ? this.#accumulator : item);
        } else if (verdict === DROP) {
          this.#filtered++;
          if (this.#tracked) (item as Tracked).lineage.done();
        } else {
          cursor.advanceTo(position);
          if (this.#ended) this.#finish();
          return;
        }
      }
      cursor.advanceTo(position);
      staging.flush();
      if (this.#run.mustYield(position - start)) {
        this.#yieldArmed = true;
        this.#run.yieldThen(this.#resume);
        return;
      }
    }
  }

  /** Applies the operator to one item: EMIT it (or the accumulator), DROP it, or END. */
  #step(item: unknown, index: number): number {
    const spec = this.spec;
    switch (spec.kind) {
      case "take":
        if (++this.#counted < spec.count) return EMIT;
        // The n-th item: emitted here, and END stops the pass after it.
        this.#end();
        return this.#emitLast(item);
      case "drop":
        return this.#counted++ < spec.count ? DROP : EMIT;
      case "scan": {
        let next: unknown;
        try {
          next = spec.fn(this.#accumulator, item, index);
        } catch (error) {
          return this.#fail(item, index, error);
        }
        if (isThenable(next)) {
          next.then(undefined, () => {});
          return this.#fail(
            item,
            index,
            new TypeError(
              "Expected the scan function to return the next accumulator synchronously, got a Promise; use map() for async work before scan()",
            ),
          );
        }
        this.#accumulator = next;
        return EMIT;
      }
      case "distinct": {
        let key: unknown;
        try {
          key = spec.key === undefined ? item : spec.key(item);
        } catch (error) {
          return this.#fail(item, index, error);
        }
        const seen = this.#seen!;
        if (seen.has(key)) {
          // Seen again: it is recent now, so a bounded memory forgets it last.
          if (spec.limit !== Number.POSITIVE_INFINITY) {
            seen.delete(key);
            seen.set(key, true);
          }
          return DROP;
        }
        seen.set(key, true);
        if (seen.size > spec.limit) seen.delete(seen.keys().next().value);
        return EMIT;
      }
    }
  }

  /** take's last item: emitted, then the stage ends. */
  #emitLast(item: unknown): number {
    this.#out++;
    this.#emitted++;
    this.#staging.values.push(item);
    return END;
  }

  #fail(item: unknown, index: number, error: unknown): number {
    this.#failed++;
    this.#failures.add(error);
    this.#stopped = true;
    this.#run.fail(new StageError(this.name, item, index, error));
    return END;
  }

  /** Needs no more input: everything upstream stops, this stage and the rest finish. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#run.endBefore(this);
  }

  readonly #resume = (): void => {
    this.#yieldArmed = false;
    this.#event();
  };

  #armInput(): void {
    if (this.#inputArmed) return;
    this.#inputArmed = true;
    this.#cursor.onData(() => {
      this.#inputArmed = false;
      this.#event();
    });
  }

  #armSpace(): void {
    if (this.#spaceArmed) return;
    this.#spaceArmed = true;
    this.output.onSpace(() => {
      this.#spaceArmed = false;
      this.#event();
    });
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#staging.flush();
    this.output.close();
    this.#resolveDone();
  }
}
