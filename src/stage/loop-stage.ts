import type { Delivery } from "../contract/acknowledged.js";
import { kAcknowledged } from "../contract/acknowledged.js";
import type { RunControl } from "../contract/run-control.js";
import type { Stage, StageInput } from "../contract/stage.js";
import type { LoopStageSpec } from "../contract/stage-spec.js";
import type { RunSummary, StageStats, TeeStats } from "../contract/summary.js";
import { StageError } from "../errors/stage-error.js";
import { FailureTally } from "../observe/failure-tally.js";
import { AsyncSource } from "../source/async-source.js";
import { branchOutput } from "./branch-output.js";
import { InputCursor } from "./stage-input.js";
import { kIdleCounters, stageStats } from "./stage-stats.js";

/** What a loop stage needs of its body: a run of it over another source. */
interface BodyPipeline {
  withSource(source: unknown): { run(): BodyRun };
}

/** What a loop stage needs of its body's run. */
interface BodyRun extends AsyncIterator<unknown> {
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
  stats(): RunSummary;
}

/** An item going round the loop: the attempt it is on. */
interface Lap {
  readonly item: unknown;
  readonly index: number;
  readonly attempt: number;
}

/**
 * `.loop(back => body, { times })`: each item runs through `body`, its own run whose source
 * tracks everything derived from each item (see `acknowledged()`). An item something derived
 * from which failed in the body (a function stage's error, which the body's "fail" stages
 * treat as a skip here) goes round again, back to the body's first stage, at most `times`
 * times more; then it fails through the loop's `onError` ("fail": the run fails with its
 * last error; "skip": it is dropped and counted). The loop ends once its input has ended and
 * no item is in the body or waiting to go round: every item goes round a bounded number of
 * times, so the run ends.
 */
export class LoopStage implements Stage {
  readonly spec: LoopStageSpec;
  readonly name: string;
  readonly output: AsyncSource<unknown>;
  readonly #cursor: InputCursor<unknown>;
  readonly #run: RunControl;
  readonly #body: BodyRun;
  readonly #failures = new FailureTally();
  /** Items to go round again, oldest first. */
  readonly #again: Lap[] = [];
  /** Items handed to the body and not yet settled (acked, nacked). */
  #inBody = 0;
  #wake: (() => void) | undefined;
  #inputArmed = false;
  #in = 0;
  #out = 0;
  #failed = 0;
  #cancelled = 0;
  #retried = 0;
  #stopped = false;
  readonly done: Promise<void>;

  constructor(spec: LoopStageSpec, input: StageInput<unknown>, run: RunControl) {
    this.spec = spec;
    this.name = spec.name;
    this.#cursor = new InputCursor(input);
    this.#run = run;
    const source = Object.freeze({
      [kAcknowledged]: true as const,
      deliveries: () => ({ [Symbol.asyncIterator]: () => this.#deliveries() }),
    });
    this.#body = (spec.body as BodyPipeline).withSource(source).run();
    this.output = new AsyncSource(
      branchOutput(this.#body[Symbol.asyncIterator](), run),
      spec.buffer,
      run,
    );
    this.done = this.output.done;
  }

  start(): void {
    this.output.start();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    // Items in the body or going round end here: the body's run, stopping, settles none.
    this.#cancelled += this.#inBody + this.#again.length;
    this.#inBody = 0;
    this.#again.length = 0;
    this.output.stop();
    this.#wake?.();
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
      ...kIdleCounters,
      in: this.#in,
      out: this.#out,
      failed: this.#failed,
      cancelled: this.#cancelled,
      retried: this.#retried,
      discarded: this.#cursor.discarded,
      emitted: this.output.pulled,
      maxInFlight: this.#in > 0 ? 1 : 0,
      inFlight: this.#inBody + this.#again.length,
    });
  }

  /** The body's run, as a branch of the loop. */
  branches(): TeeStats[] {
    return [
      {
        name: `${this.name}.body`,
        mode: "block",
        buffer: this.spec.buffer,
        offered: this.#in + this.#retried,
        dropped: 0,
        queued: this.#again.length,
        run: this.#body.stats(),
      },
    ];
  }

  /**
   * What the body reads: items going round again first, then the input's, each once the
   * body pulls it; ends once the input ended and nothing is in the body or going round.
   */
  async *#deliveries(): AsyncGenerator<Delivery<unknown>> {
    const cursor = this.#cursor;
    for (;;) {
      if (this.#stopped) return;
      const lap = this.#again.shift();
      if (lap !== undefined) {
        yield this.#delivery(lap);
        continue;
      }
      if (cursor.position < cursor.buffer.length || cursor.tryRefill()) {
        const item = cursor.buffer[cursor.position];
        cursor.advanceTo(cursor.position + 1);
        yield this.#delivery({ item, index: this.#in++, attempt: 1 });
        continue;
      }
      if (cursor.ended && this.#inBody === 0) return;
      // Wait for input, or for an item to settle (it may go round, or be the last).
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#armInput();
      });
      this.#wake = undefined;
    }
  }

  /** Wakes the body's reads when input comes (once armed, until it fires). */
  #armInput(): void {
    if (this.#inputArmed || this.#cursor.ended) return;
    this.#inputArmed = true;
    this.#cursor.onData(() => {
      this.#inputArmed = false;
      this.#wake?.();
    });
  }

  #delivery(lap: Lap): Delivery<unknown> {
    this.#inBody++;
    return {
      value: lap.item,
      ack: () => {
        if (this.#stopped) return;
        this.#inBody--;
        this.#out++;
        this.#wake?.();
      },
      nack: (error: unknown) => {
        if (this.#stopped) return;
        this.#inBody--;
        if (lap.attempt <= this.spec.times) {
          this.#retried++;
          this.#again.push({ ...lap, attempt: lap.attempt + 1 });
        } else {
          this.#failed++;
          this.#failures.add(error);
          if (this.spec.onError === "fail") {
            this.#run.fail(new StageError(this.name, lap.item, lap.index, error));
          }
        }
        this.#wake?.();
      },
    };
  }
}
