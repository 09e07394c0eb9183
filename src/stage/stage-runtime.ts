import { Channel } from "../channel/channel.js";
import { StageError } from "../errors/stage-error.js";
import type { RunControl } from "../pipeline/run-control.js";
import type { StageStats } from "../pipeline/summary.js";
import type { DeadLetter, StageContext, StageFn } from "../pipeline/types.js";
import { Parking } from "./parking.js";
import { ReorderRing, Slot } from "./reorder-ring.js";
import { InputCursor, type StageInput } from "./stage-input.js";
import type { StageSpec } from "./stage-spec.js";
import { isThenable } from "./thenable.js";

const MAP = 0;
const FILTER = 1;
const TAP = 2;
const FOR_EACH = 3;
const FLAT_MAP = 4;
const KIND_CODES = { map: MAP, filter: FILTER, tap: TAP, forEach: FOR_EACH, flatMap: FLAT_MAP };

/** Largest chunk a stage hands downstream at once. */
const MAX_CHUNK = 256;

interface MutableContext {
  signal: AbortSignal;
  index: number;
  stage: string;
  worker: number;
}

/**
 * Runs one function stage (map, filter, tap, forEach, flatMap): `concurrency` workers share
 * one input cursor, call the function per item (a sync result costs no promise), and gather
 * results into a staged chunk that is handed downstream when full or on the next turn of the
 * event loop.
 *
 * Bounded by construction: a worker starts an item only while
 * `inside + staged + output.size < concurrency + buffer`, where `inside` counts items in the
 * function and, when ordered, results waiting in the reorder ring for an earlier item.
 */
export class StageRuntime {
  readonly spec: StageSpec;
  readonly output: Channel<unknown>;
  /** Items the stage may hold at once: `concurrency + buffer`. */
  readonly capacity: number;
  readonly #kind: number;
  readonly #fn: StageFn<unknown, unknown>;
  readonly #collect: boolean;
  readonly #skip: boolean;
  readonly #deadLetter: DeadLetter<unknown> | undefined;
  readonly #chunk: number;
  readonly #cursor: InputCursor<unknown>;
  readonly #run: RunControl;
  readonly #ring: ReorderRing | undefined;

  #in = 0;
  #out = 0;
  #filtered = 0;
  #failed = 0;
  #cancelled = 0;
  #discarded = 0;
  #emitted = 0;
  #inFlight = 0;
  #maxInFlight = 0;
  #inside = 0;
  #nextIndex = 0;

  #staged: unknown[] = [];
  #immediate: NodeJS.Immediate | undefined;
  /** Workers waiting for the stage to have room, and workers waiting for input. */
  readonly #roomParking = new Parking();
  readonly #inputParking = new Parking();
  /** flatMap workers holding an item while they wait for room for its next value. */
  #roomWaiters: (() => void)[] = [];
  #spaceArmed = false;
  #inputArmed = false;
  #live = 0;
  #resolveDone!: () => void;
  /** Resolves when every worker has exited; never rejects. */
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });

  constructor(spec: StageSpec, input: StageInput<unknown>, run: RunControl) {
    this.spec = spec;
    this.capacity = spec.concurrency + spec.buffer;
    this.output = new Channel<unknown>(spec.buffer);
    this.#kind = KIND_CODES[spec.kind as keyof typeof KIND_CODES];
    this.#fn = spec.fn!;
    this.#collect = spec.onError === "collect";
    this.#skip = spec.onError === "skip";
    this.#deadLetter = spec.deadLetter;
    this.#chunk = Math.max(1, Math.min(MAX_CHUNK, spec.buffer >> 1));
    this.#cursor = new InputCursor(input);
    this.#run = run;
    this.#ring = spec.ordered ? new ReorderRing(this.capacity) : undefined;
  }

  /** Starts the workers. */
  start(): void {
    const workers = this.spec.concurrency;
    this.#live = workers;
    for (let worker = 0; worker < workers; worker++) {
      const ctx: MutableContext = {
        signal: this.#run.signal,
        index: -1,
        stage: this.spec.name,
        worker,
      };
      void (this.#kind === FLAT_MAP ? this.#workMany(ctx) : this.#work(ctx)).finally(
        this.#workerExited,
      );
    }
  }

  /** Wakes every waiting worker so it sees the run stopping; clears the flush timer. */
  stop(): void {
    this.#cancelFlush();
    this.#wakeRoomWaiters();
    this.#roomParking.wakeAll();
    this.#inputParking.wakeAll();
  }

  /**
   * Counts what the stopped run left at this stage's input as discarded. Called by the run
   * once every part has settled, so nothing arrives afterwards.
   */
  collectLeftovers(): void {
    this.#discarded += this.#cursor.discard();
  }

  /** A snapshot of the counters. */
  stats(): StageStats {
    return {
      name: this.spec.name,
      kind: this.spec.kind,
      concurrency: this.spec.concurrency,
      ordered: this.spec.ordered,
      buffer: this.spec.buffer,
      in: this.#in,
      out: this.#out,
      filtered: this.#filtered,
      failed: this.#failed,
      cancelled: this.#cancelled,
      discarded: this.#discarded,
      emitted: this.#emitted,
      maxInFlight: this.#maxInFlight,
      inFlight: this.#inFlight,
    };
  }

  async #work(ctx: MutableContext): Promise<void> {
    const cursor = this.#cursor;
    const run = this.#run;
    const fn = this.#fn;
    const output = this.output;
    const capacity = this.capacity;
    for (;;) {
      if (run.stopped) return;
      const room = capacity - (this.#inside + this.#staged.length + output.size);
      if (room <= 0) {
        await this.#parkForRoom();
        continue;
      }
      if (cursor.position >= cursor.buffer.length && !cursor.tryRefill()) {
        if (cursor.ended) return;
        await this.#parkForInput();
        continue;
      }
      // A burst: run items straight from the input chunk while the function answers
      // synchronously, so a sync function costs no promise and no trip round the loop.
      // Counters for the burst are added once at its end.
      const buffer = cursor.buffer;
      const start = cursor.position;
      const end = Math.min(buffer.length, start + room);
      let position = start;
      let result: unknown;
      let item: unknown;
      let threw = false;
      try {
        while (position < end) {
          item = buffer[position++];
          ctx.index = this.#nextIndex++;
          this.#inside++;
          result = fn(item, ctx);
          if (isThenable(result)) break;
          this.#completed(item, ctx.index, result);
          result = undefined;
        }
      } catch (error) {
        threw = true;
        result = error;
      }
      this.#in += position - start;
      cursor.advanceTo(position);
      if (this.#maxInFlight === 0) this.#maxInFlight = 1;
      if (threw) {
        const handled = this.#failedItem(item, ctx.index, result, ctx);
        if (handled !== undefined) await handled;
        continue;
      }
      if (result === undefined) continue;
      // The function went async: this worker now holds one item in flight, so an idle
      // sibling may take the next one.
      const index = ctx.index;
      if (++this.#inFlight > this.#maxInFlight) this.#maxInFlight = this.#inFlight;
      this.#wakeSibling();
      try {
        result = await result;
      } catch (error) {
        this.#inFlight--;
        const handled = this.#failedItem(item, index, error, ctx);
        if (handled !== undefined) await handled;
        continue;
      }
      this.#inFlight--;
      this.#completed(item, index, result);
    }
  }

  #completed(item: unknown, index: number, result: unknown): void {
    if (this.#run.stopped) {
      this.#cancelled++;
      this.#freeInside();
      return;
    }
    let value: unknown;
    switch (this.#kind) {
      case MAP:
        value = result;
        break;
      case FILTER:
        if (!result) {
          this.#filtered++;
          if (this.#ring === undefined) this.#freeInside();
          else this.#settle(index, Slot.None, undefined);
          return;
        }
        value = item;
        break;
      case TAP:
        value = item;
        break;
      default:
        this.#out++;
        if (this.#ring === undefined) this.#freeInside();
        else this.#settle(index, Slot.None, undefined);
        return;
    }
    if (this.#collect) value = { ok: true, value };
    if (this.#ring === undefined) {
      this.#inside--;
      this.#out++;
      this.#emit(value);
    } else {
      this.#settle(index, Slot.Value, value);
    }
  }

  /** Applies the error policy; returns a promise only when a dead-letter callback is async. */
  #failedItem(
    item: unknown,
    index: number,
    error: unknown,
    ctx: StageContext,
  ): Promise<void> | undefined {
    if (this.#run.stopped) {
      // Errors after the run stopped are the cancellation itself, not the item's failure.
      this.#cancelled++;
      this.#freeInside();
      return undefined;
    }
    this.#failed++;
    if (this.#collect) {
      const failure = { ok: false, error, item };
      if (this.#ring === undefined) {
        this.#inside--;
        this.#emit(failure);
      } else {
        this.#settle(index, Slot.Failure, failure);
      }
      return undefined;
    }
    if (!this.#skip) {
      this.#freeInside();
      this.#run.fail(new StageError(this.spec.name, item, index, error));
      return undefined;
    }
    const deadLetter = this.#deadLetter;
    if (deadLetter !== undefined) {
      try {
        const pending = deadLetter(item, error, ctx);
        if (isThenable(pending)) {
          return Promise.resolve(pending).then(
            () => this.#skipped(index),
            (thrown: unknown) => this.#deadLetterFailed(item, index, thrown),
          );
        }
      } catch (thrown) {
        this.#deadLetterFailed(item, index, thrown);
        return undefined;
      }
    }
    this.#skipped(index);
    return undefined;
  }

  #skipped(index: number): void {
    if (this.#ring === undefined || this.#run.stopped) this.#freeInside();
    else this.#settle(index, Slot.None, undefined);
  }

  #deadLetterFailed(item: unknown, index: number, thrown: unknown): void {
    this.#freeInside();
    const error = new StageError(this.spec.name, item, index, thrown);
    error.message = `Stage "${this.spec.name}" deadLetter threw on item #${index}: ${error.message.slice(error.message.indexOf(": ") + 2)}`;
    this.#run.fail(error);
  }

  /** Records a finished item in the ring and emits every result now in order. */
  #settle(index: number, state: Slot, value: unknown): void {
    const ring = this.#ring!;
    if (index !== ring.head) {
      ring.store(index, state, value);
      return;
    }
    ring.head++;
    this.#emitSettled(state, value);
    while (ring.headState() !== Slot.Empty) {
      const headState = ring.headState();
      this.#emitSettled(headState, ring.shiftHead());
    }
  }

  #emitSettled(state: Slot, value: unknown): void {
    this.#inside--;
    if (state === Slot.Value) {
      this.#out++;
      this.#emit(value);
    } else if (state === Slot.Failure) {
      this.#emit(value);
    } else if (state === Slot.Many) {
      this.#out++;
      for (const each of value as unknown[]) this.#emit(each);
    }
  }

  #emit(value: unknown): void {
    this.#emitted++;
    const staged = this.#staged;
    staged.push(value);
    if (staged.length >= this.#chunk) this.#flush();
    else this.#immediate ??= setImmediate(this.#flushOnTurn);
  }

  readonly #flushOnTurn = (): void => {
    this.#immediate = undefined;
    this.#flush();
  };

  #flush(): void {
    if (this.#staged.length === 0) return;
    const chunk = this.#staged;
    this.#staged = [];
    this.output.pushChunk(chunk);
  }

  #cancelFlush(): void {
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
  }

  #freeInside(): void {
    this.#inside--;
    if (this.#roomParking.size > 0) this.#roomParking.wakeOne();
    if (this.#roomWaiters.length > 0) this.#wakeRoomWaiters();
  }

  /**
   * Parks a worker until the stage may hold another item: downstream took from the output
   * channel, or an item left without output. Staged results are handed over first, since
   * downstream cannot free room for results it has not been given.
   */
  #parkForRoom(): Promise<void> {
    // Flushing a few staged values into a channel that still holds plenty only makes
    // small chunks; downstream will free room (and wake us) without them.
    if (this.output.size <= this.spec.buffer >> 1) this.#flush();
    this.#armSpace();
    return this.#roomParking.park();
  }

  /** Parks a worker until the input has a chunk or ends. */
  #parkForInput(): Promise<void> {
    if (!this.#inputArmed) {
      this.#inputArmed = true;
      this.#cursor.onData(this.#onInput);
    }
    return this.#inputParking.park();
  }

  /** Makes a flatMap worker holding an item wait for room for its next value. */
  #waitRoom(): Promise<void> {
    this.#flush();
    this.#armSpace();
    return new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
  }

  #armSpace(): void {
    if (this.#spaceArmed) return;
    this.#spaceArmed = true;
    this.output.onSpace(this.#onSpace);
  }

  readonly #onInput = (): void => {
    this.#inputArmed = false;
    this.#inputParking.wakeOne();
  };

  readonly #onSpace = (): void => {
    this.#spaceArmed = false;
    this.#wakeRoomWaiters();
    this.#roomParking.wakeOne();
  };

  /**
   * Called when a worker's item went async: if the stage could start another item now, an
   * idle sibling takes it. Each woken worker does the same, so width ramps up one hop at a
   * time and no worker is woken without something to do.
   */
  #wakeSibling(): void {
    if (this.#inside + this.#staged.length + this.output.size >= this.capacity) return;
    if (this.#roomParking.size > 0) this.#roomParking.wakeOne();
    else if (this.#inputParking.size > 0 && this.#cursor.hasMore()) this.#inputParking.wakeOne();
  }

  #wakeRoomWaiters(): void {
    const waiters = this.#roomWaiters;
    if (waiters.length === 0) return;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }

  readonly #workerExited = (): void => {
    // The input ended or the run stopped: the next idle worker must see it too.
    this.#inputParking.wakeOne();
    this.#roomParking.wakeOne();
    if (--this.#live > 0) return;
    if (this.#run.stopped) {
      this.#cancelFlush();
      if (this.#ring !== undefined) this.#cancelled += this.#ring.countWaiting();
    }
    // Staged results go downstream even when stopping, so the next stage (or the run)
    // counts them as discarded rather than losing track of them.
    this.#flush();
    this.output.close();
    this.#resolveDone();
  };

  /** flatMap workers: results are iterables whose values are emitted one by one. */
  async #workMany(ctx: MutableContext): Promise<void> {
    const cursor = this.#cursor;
    const run = this.#run;
    const fn = this.#fn;
    for (;;) {
      if (run.stopped) return;
      if (this.#roomFull()) {
        await this.#parkForRoom();
        continue;
      }
      if (cursor.position >= cursor.buffer.length && !cursor.tryRefill()) {
        if (cursor.ended) return;
        await this.#parkForInput();
        continue;
      }
      const item = cursor.take();
      const index = this.#nextIndex++;
      this.#in++;
      this.#inside++;
      if (++this.#inFlight > this.#maxInFlight) this.#maxInFlight = this.#inFlight;
      ctx.index = index;
      this.#wakeSibling();
      try {
        let result: unknown = fn(item, ctx);
        if (isThenable(result)) result = await result;
        const count =
          this.#ring === undefined
            ? await this.#emitEach(result, index)
            : await this.#settleEach(result, index);
        this.#inFlight--;
        if (count < 0) {
          this.#cancelled++;
          this.#freeInside();
        } else if (this.#ring === undefined) {
          if (count === 0) this.#filtered++;
          else this.#out++;
          this.#freeInside();
        }
      } catch (error) {
        this.#inFlight--;
        const handled = this.#failedItem(item, index, error, ctx);
        if (handled !== undefined) await handled;
      }
    }
  }

  /** Whether a flatMap worker must wait: unordered it needs room for one output value. */
  #roomFull(): boolean {
    if (this.#ring !== undefined) {
      return this.#inside + this.#staged.length + this.output.size >= this.capacity;
    }
    return this.#staged.length + this.output.size >= this.spec.buffer;
  }

  /** Emits an unordered flatMap result as it is iterated; -1 when the run stopped midway. */
  async #emitEach(result: unknown, index: number): Promise<number> {
    const iterable = asIterable(result, this.spec.name, index);
    let count = 0;
    // A sync iterable (an array, usually) is walked without a promise per value.
    if (typeof (iterable as Iterable<unknown>)[Symbol.iterator] === "function") {
      for (const value of iterable as Iterable<unknown>) {
        const room = this.#roomForOne();
        if (room !== true && !(await room)) return -1;
        this.#emit(this.#collect ? { ok: true, value } : value);
        count++;
      }
      return count;
    }
    for await (const value of iterable) {
      const room = this.#roomForOne();
      if (room !== true && !(await room)) return -1;
      this.#emit(this.#collect ? { ok: true, value } : value);
      count++;
    }
    return count;
  }

  /** Waits for room for one output value; false when the run stopped. */
  #roomForOne(): boolean | Promise<boolean> {
    if (this.#run.stopped) return false;
    if (this.#staged.length + this.output.size < this.spec.buffer) return true;
    return this.#waitRoom().then(() => this.#roomForOne());
  }

  /** Gathers an ordered flatMap result whole, then settles it in the ring. */
  async #settleEach(result: unknown, index: number): Promise<number> {
    const iterable = asIterable(result, this.spec.name, index);
    let values: unknown[];
    if (typeof (iterable as Iterable<unknown>)[Symbol.iterator] === "function") {
      values = Array.from(iterable as Iterable<unknown>);
    } else {
      values = [];
      for await (const value of iterable) {
        if (this.#run.stopped) return -1;
        values.push(value);
      }
    }
    if (this.#collect) values = values.map((value) => ({ ok: true, value }));
    if (this.#run.stopped) return -1;
    if (values.length === 0) {
      this.#filtered++;
      this.#settle(index, Slot.None, undefined);
    } else {
      this.#settle(index, Slot.Many, values);
    }
    return values.length;
  }
}

function asIterable(
  result: unknown,
  stage: string,
  index: number,
): Iterable<unknown> | AsyncIterable<unknown> {
  if (
    typeof result === "object" &&
    result !== null &&
    (typeof (result as Iterable<unknown>)[Symbol.iterator] === "function" ||
      typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function")
  ) {
    return result as Iterable<unknown>;
  }
  throw new TypeError(
    `Expected the flatMap function of stage "${stage}" to return an Iterable or AsyncIterable for item #${index}, got ${result === null ? "null" : typeof result}`,
  );
}
