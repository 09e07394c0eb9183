import { ChunkChannel } from "../channel/chunk-channel.js";
import { StageError } from "../errors/stage-error.js";
import type { RunControl } from "../pipeline/run-control.js";
import type { StageStats } from "../pipeline/summary.js";
import type { DeadLetter, StageContext, StageFn } from "../pipeline/types.js";
import { expandMany, type ManyHost } from "./expand-many.js";
import { ReorderRing, Slot } from "./reorder-ring.js";
import { InputCursor, type StageInput } from "./stage-input.js";
import type { StageSpec } from "./stage-spec.js";
import { stageStats } from "./stage-stats.js";
import { isThenable } from "./thenable.js";
import { type SlotHandlers, type WorkerSlot, WorkerSlots } from "./worker-slots.js";

const MAP = 0;
const FILTER = 1;
const TAP = 2;
const FOR_EACH = 3;
const FLAT_MAP = 4;
const KIND_CODES = { map: MAP, filter: FILTER, tap: TAP, forEach: FOR_EACH, flatMap: FLAT_MAP };

/** Largest chunk a stage hands downstream at once. */
const MAX_CHUNK = 256;

/**
 * Runs one function stage (map, filter, tap, forEach, flatMap) as a dispatcher over
 * `concurrency` worker slots. The dispatcher is a plain synchronous loop run on events (input
 * arrived, room freed, an item finished): it starts items while a slot is free, the stage has
 * room and the input has items. A sync function runs in a burst straight from the input chunk
 * and costs no promise; an async one occupies a slot until its promise settles, costing one
 * `then` and no worker resumption. Results gather into a staged chunk, handed downstream when
 * it holds half the buffer, or on the next turn of the event loop.
 *
 * Bounded by construction: an item starts only while
 * `inside + staged + output.size < concurrency + buffer`, where `inside` counts items in the
 * function and, when ordered, results waiting in the reorder ring for an earlier item.
 */
export class StageRuntime implements ManyHost, SlotHandlers {
  readonly spec: StageSpec;
  readonly output: ChunkChannel<unknown>;
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
  readonly #slots: WorkerSlots;
  /** An unordered map that does not collect: its values go straight to the staged chunk. */
  readonly #plainMap: boolean;
  /** An unordered forEach that does not collect: it emits nothing. */
  readonly #plainSink: boolean;

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
  /** flatMap items holding a slot while they wait for room for their next value. */
  #roomWaiters: (() => void)[] = [];
  #spaceArmed = false;
  #inputArmed = false;
  /** Set while the stage's state is being changed; events that arrive then are replayed. */
  #busy = false;
  #again = false;
  #finished = false;
  #resolveDone!: () => void;
  /** Resolves when the stage has finished and closed its output; never rejects. */
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });

  constructor(spec: StageSpec, input: StageInput<unknown>, run: RunControl) {
    this.spec = spec;
    this.capacity = spec.concurrency + spec.buffer;
    this.output = new ChunkChannel<unknown>(spec.buffer);
    this.#kind = KIND_CODES[spec.kind as keyof typeof KIND_CODES];
    this.#fn = spec.fn!;
    this.#collect = spec.onError === "collect";
    this.#skip = spec.onError === "skip";
    this.#deadLetter = spec.deadLetter;
    // Half the buffer per chunk: downstream works on one chunk while the next fills.
    this.#chunk = Math.max(1, Math.min(MAX_CHUNK, spec.buffer >> 1));
    this.#cursor = new InputCursor(input);
    this.#run = run;
    this.#ring = spec.ordered ? new ReorderRing(this.capacity) : undefined;
    const plain = !spec.ordered && !this.#collect;
    this.#plainMap = plain && this.#kind === MAP;
    this.#plainSink = plain && this.#kind === FOR_EACH;
    this.#slots = new WorkerSlots(spec.concurrency, run.signal, spec.name, this);
  }

  /** Starts dispatching. */
  start(): void {
    this.#busy = true;
    this.#dispatch();
  }

  /** Wakes whatever waits so the stage sees the run stopping; clears the flush timer. */
  stop(): void {
    this.#cancelFlush();
    this.#wakeRoomWaiters();
    this.#event();
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
    return stageStats(this.spec, {
      in: this.#in,
      out: this.#out,
      filtered: this.#filtered,
      failed: this.#failed,
      cancelled: this.#cancelled,
      discarded: this.#discarded,
      emitted: this.#emitted,
      maxInFlight: this.#maxInFlight,
      inFlight: this.#inFlight,
    });
  }

  /** An input, room or stop event: dispatch now, or after the change under way. */
  #event(): void {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    this.#dispatch();
  }

  /** Runs the dispatch loop until no event is pending; the caller set `#busy`. */
  #dispatch(): void {
    try {
      do {
        this.#again = false;
        if (this.#kind === FLAT_MAP) this.#dispatchMany();
        else this.#dispatchItems();
      } while (this.#again);
    } finally {
      this.#busy = false;
    }
    if (!this.#finished && this.#slots.allFree && (this.#run.stopped || this.#cursor.ended)) {
      this.#finish();
    }
  }

  #dispatchItems(): void {
    const cursor = this.#cursor;
    const run = this.#run;
    const fn = this.#fn;
    const output = this.output;
    const capacity = this.capacity;
    const slots = this.#slots;
    // The common cases, inlined below: an unordered map's value goes straight to the chunk;
    // an unordered forEach has nothing to emit. Their counters are added once per burst.
    const plainMap = this.#plainMap;
    const plainSink = this.#plainSink;
    for (;;) {
      if (run.stopped || slots.allBusy) return;
      const room = capacity - (this.#inside + this.#staged.length + output.size);
      if (!this.#canStart(room <= 0)) return;
      // A burst: run items straight from the input chunk while the function answers
      // synchronously. Counters for the burst are added once at its end.
      const slot = slots.peek();
      const ctx = slot.ctx;
      const buffer = cursor.buffer;
      const start = cursor.position;
      const end = Math.min(buffer.length, start + room);
      let position = start;
      let plainDone = 0;
      let item: unknown;
      let result: unknown;
      let threw = false;
      try {
        while (position < end && !run.stopped) {
          item = buffer[position++];
          ctx.index = this.#nextIndex++;
          result = fn(item, ctx);
          // isThenable, written out: until the optimizing compiler inlines it, a call per
          // item is a fifth of a sync burst's cost (the first ~100k items of a run).
          if (
            typeof result === "object" &&
            result !== null &&
            typeof (result as PromiseLike<unknown>).then === "function"
          ) {
            break;
          }
          if (plainMap) {
            plainDone++;
            if (this.#staged.push(result) >= this.#chunk) this.#flush();
          } else if (plainSink) {
            plainDone++;
          } else {
            this.#inside++;
            this.#completed(item, ctx.index, result);
          }
          result = undefined;
        }
      } catch (error) {
        threw = true;
        result = error;
      }
      if (plainDone > 0) {
        this.#out += plainDone;
        if (plainMap) this.#emitted += plainDone;
      }
      this.#in += position - start;
      cursor.advanceTo(position);
      if (plainMap && this.#staged.length > 0) this.#immediate ??= setImmediate(this.#flushOnTurn);
      if (this.#maxInFlight === 0) this.#maxInFlight = 1;
      if (threw) {
        this.#inside++;
        const pending = this.#failedItem(item, ctx.index, result, ctx);
        if (pending !== undefined) slots.holdUntil(slot, pending);
      } else if (result !== undefined) {
        this.#inside++;
        if (++this.#inFlight > this.#maxInFlight) this.#maxInFlight = this.#inFlight;
        slots.await(slot, item, ctx.index, result as PromiseLike<unknown>);
      }
    }
  }

  /** flatMap: one item per slot, each expanded by an async task that may wait for room. */
  #dispatchMany(): void {
    const cursor = this.#cursor;
    const slots = this.#slots;
    for (;;) {
      if (this.#run.stopped || slots.allBusy) return;
      const full =
        this.#ring === undefined
          ? this.#staged.length + this.output.size >= this.spec.buffer
          : this.#inside + this.#staged.length + this.output.size >= this.capacity;
      if (!this.#canStart(full)) return;
      const slot = slots.peek();
      const item = cursor.take();
      const index = this.#nextIndex++;
      slot.ctx.index = index;
      this.#in++;
      this.#inside++;
      if (++this.#inFlight > this.#maxInFlight) this.#maxInFlight = this.#inFlight;
      slots.await(slot, item, index, expandMany(this, this.#fn, item, index, slot.ctx));
    }
  }

  /** @internal A slot became free after a failed item: dispatch again. */
  slotReleased(): void {
    this.#event();
  }

  /** Whether an item can start now; if not, arms the event (room or input) that ends the wait. */
  #canStart(full: boolean): boolean {
    if (full) {
      this.#needRoom();
      return false;
    }
    const cursor = this.#cursor;
    if (cursor.position < cursor.buffer.length || cursor.tryRefill()) return true;
    if (!cursor.ended) this.#needInput();
    return false;
  }

  /** @internal An async item fulfilled; its slot is still taken (see {@link WorkerSlots}). */
  itemSettled(slot: WorkerSlot, item: unknown, index: number, value: unknown): void {
    this.#busy = true;
    this.#inFlight--;
    if (this.#kind === FLAT_MAP) {
      this.#expanded(value as number);
    } else {
      if (this.#plainMap && !this.#run.stopped) {
        // #completed and #emit for the commonest case, written out like the sync burst's:
        // two calls fewer per item while the stage still runs unoptimized.
        this.#inside--;
        this.#out++;
        this.#emitted++;
        if (this.#staged.push(value) >= this.#chunk) this.#flush();
        else this.#immediate ??= setImmediate(this.#flushOnTurn);
      } else {
        this.#completed(item, index, value);
      }
      if (this.#nextInSlot(slot)) {
        if (this.#again) this.#dispatch();
        else this.#busy = false;
        return;
      }
    }
    this.#slots.free(slot);
    this.#dispatch();
  }

  /**
   * The busy stage's common case, without a full dispatcher pass: starts the next input item
   * in the slot whose item just settled. Returns false, leaving the slot to be freed, when no
   * item is ready or there is no room, and after a sync result (the dispatcher's burst takes
   * over from there). Returns true when the slot is accounted for: it holds the new item, or a
   * sync throw freed it (and `#again` asks for a dispatch).
   */
  #nextInSlot(slot: WorkerSlot): boolean {
    const cursor = this.#cursor;
    const position = cursor.position;
    if (position >= cursor.buffer.length || this.#run.stopped) return false;
    if (this.#inside + this.#staged.length + this.output.size >= this.capacity) return false;
    const item = cursor.buffer[position];
    const ctx = slot.ctx;
    const index = this.#nextIndex++;
    ctx.index = index;
    cursor.advanceTo(position + 1);
    this.#in++;
    this.#inside++;
    let result: unknown;
    try {
      result = this.#fn(item, ctx);
    } catch (error) {
      this.#slots.free(slot);
      const pending = this.#failedItem(item, index, error, ctx);
      if (pending !== undefined) this.#slots.holdUntil(this.#slots.peek(), pending);
      this.#again = true;
      return true;
    }
    // isThenable written out, as in the sync burst.
    if (
      typeof result !== "object" ||
      result === null ||
      typeof (result as PromiseLike<unknown>).then !== "function"
    ) {
      this.#completed(item, index, result);
      return false;
    }
    if (++this.#inFlight > this.#maxInFlight) this.#maxInFlight = this.#inFlight;
    this.#slots.reuse(slot, item, index, result as PromiseLike<unknown>);
    return true;
  }

  /**
   * @internal An async item rejected. The slot stays taken; WorkerSlots frees it and calls
   * {@link slotReleased} (at once, or once the returned dead-letter promise settles).
   */
  itemFailed(
    item: unknown,
    index: number,
    error: unknown,
    ctx: StageContext,
  ): Promise<void> | undefined {
    this.#busy = true;
    this.#inFlight--;
    try {
      return this.#failedItem(item, index, error, ctx);
    } finally {
      this.#busy = false;
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

  /** Accounts for a finished flatMap item: `count` values emitted, or -1 if the run stopped. */
  #expanded(count: number): void {
    if (count < 0) {
      this.#cancelled++;
      this.#freeInside();
    } else if (this.#ring === undefined) {
      if (count === 0) this.#filtered++;
      else this.#out++;
      this.#freeInside();
    }
    // An ordered item that finished was settled in the ring by expandMany itself.
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
    this.#run.fail(new StageError(this.spec.name, item, index, thrown, "deadLetter threw on"));
  }

  /** For flatMap tasks: settles an ordered item, guarded like every other state change. */
  settle(index: number, state: Slot, value: unknown): void {
    if (this.#busy) {
      this.#settle(index, state, value);
      return;
    }
    this.#busy = true;
    this.#settle(index, state, value);
    this.#dispatch();
  }

  /** For flatMap tasks: wraps a value as a result when the stage collects. */
  wrap(value: unknown): unknown {
    return this.#collect ? { ok: true, value } : value;
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

  /** For flatMap tasks: emits one value downstream, guarded like every other state change. */
  emit(value: unknown): void {
    const wrapped = this.#collect ? { ok: true, value } : value;
    if (this.#busy) {
      this.#emit(wrapped);
      return;
    }
    this.#busy = true;
    this.#emit(wrapped);
    this.#dispatch();
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
    if (this.#busy) {
      this.#flush();
      return;
    }
    this.#busy = true;
    this.#flush();
    this.#dispatch();
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
    if (this.#roomWaiters.length > 0) this.#wakeRoomWaiters();
  }

  /** Whether an unordered flatMap may emit one more value now; false once the run stopped. */
  roomForOne(): boolean | Promise<boolean> {
    if (this.#run.stopped) return false;
    if (this.#staged.length + this.output.size < this.spec.buffer) return true;
    this.#flush();
    this.#armSpace();
    return new Promise<void>((resolve) => this.#roomWaiters.push(resolve)).then(() =>
      this.roomForOne(),
    );
  }

  /** Whether the run has stopped (flatMap tasks check it between values). */
  get stopped(): boolean {
    return this.#run.stopped;
  }

  /** Whether this flatMap stage keeps input order. */
  get ordered(): boolean {
    return this.#ring !== undefined;
  }

  /** Counts an ordered flatMap item that yielded nothing. */
  countFiltered(): void {
    this.#filtered++;
  }

  /** The stage is full: hand over what downstream needs and wait for it to free room. */
  #needRoom(): void {
    // Flushing a few staged values into a channel that still holds plenty only makes
    // small chunks; downstream will free room (and tell us) without them.
    if (this.output.size <= this.spec.buffer >> 1) this.#flush();
    this.#armSpace();
  }

  #needInput(): void {
    if (this.#inputArmed) return;
    this.#inputArmed = true;
    this.#cursor.onData(this.#onInput);
  }

  #armSpace(): void {
    if (this.#spaceArmed) return;
    this.#spaceArmed = true;
    this.output.onSpace(this.#onSpace);
  }

  readonly #onInput = (): void => {
    this.#inputArmed = false;
    this.#event();
  };

  readonly #onSpace = (): void => {
    this.#spaceArmed = false;
    this.#wakeRoomWaiters();
    this.#event();
  };

  #wakeRoomWaiters(): void {
    const waiters = this.#roomWaiters;
    if (waiters.length === 0) return;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }

  #finish(): void {
    this.#finished = true;
    if (this.#run.stopped) {
      this.#cancelFlush();
      if (this.#ring !== undefined) this.#cancelled += this.#ring.countWaiting();
    }
    // Staged results go downstream even when stopping, so the next stage (or the run)
    // counts them as discarded rather than losing track of them.
    this.#flush();
    this.#cancelFlush();
    this.output.close();
    this.#resolveDone();
  }
}
