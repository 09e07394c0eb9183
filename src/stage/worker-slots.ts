import type { StageContext } from "../contract/types.js";
import type { TimeoutError } from "../errors/timeout-error.js";
import type { Clock } from "../policy/clock.js";
import { CallContext } from "./call-context.js";
import type { DispatchGate } from "./dispatch-gate.js";
import { SlotDeadlines, type TimedSlot } from "./resilience/slot-deadlines.js";

/** One of a stage's places for an item in flight. */
export interface WorkerSlot {
  readonly ctx: CallContext;
}

/** What a stage does when an item held by a slot settles. */
export interface SlotHandlers {
  /**
   * The item's promise fulfilled. The slot is still taken: the handler either starts the
   * next item in it ({@link WorkerSlots.reuse}) or frees it ({@link WorkerSlots.free}).
   */
  itemSettled(slot: WorkerSlot, item: unknown, index: number, value: unknown): void;
  /**
   * The item's promise rejected. A returned promise (an async dead letter) keeps the slot
   * busy until it settles; it must never reject.
   */
  itemFailed(
    item: unknown,
    index: number,
    error: unknown,
    ctx: StageContext,
  ): Promise<void> | undefined;
  /** A slot became free without a value (after an error); the stage may dispatch again. */
  slotReleased(): void;
  /**
   * The item's call ran past the stage's `timeout`: its signal is aborted, and the slot stays
   * taken by the call until it settles (its result is then dropped). The handler deals with
   * the item as with a rejection; a returned promise (an async dead letter) holds another slot.
   */
  itemTimedOut?(
    item: unknown,
    index: number,
    error: TimeoutError,
    ctx: StageContext,
  ): Promise<void> | undefined;
}

class SlotState implements WorkerSlot, TimedSlot {
  readonly ctx: CallContext;
  item: unknown;
  index = -1;
  /** When the slot's call times out (`timeout`); `Infinity` while untimed or settled. */
  deadline = Infinity;
  /** The call timed out and its item moved on: the slot is free once the call settles. */
  lingering = false;
  readonly onValue: (value: unknown) => void;
  readonly onError: (error: unknown) => void;
  readonly onHeldDone: () => void;

  constructor(ctx: CallContext, owner: WorkerSlots, handlers: SlotHandlers, timed: boolean) {
    this.ctx = ctx;
    // Created once per slot, so awaiting an item allocates no closure. An untimed stage's
    // callbacks stay as small as before timeouts existed: they are inlined into the settle
    // path with the stage's handler (S1 ran in two modes, one ~50% slower, with the checks in).
    if (timed) {
      this.onValue = (value) => {
        if (this.lingering) {
          owner.releaseLingering(this);
          return;
        }
        this.deadline = Infinity;
        const { item, index } = this;
        this.item = undefined;
        handlers.itemSettled(this, item, index, value);
      };
      this.onError = (error) => {
        if (this.lingering) {
          owner.releaseLingering(this);
          return;
        }
        this.deadline = Infinity;
        this.#failed(owner, handlers, error);
      };
    } else {
      this.onValue = (value) => {
        const { item, index } = this;
        this.item = undefined;
        handlers.itemSettled(this, item, index, value);
      };
      this.onError = (error) => {
        this.#failed(owner, handlers, error);
      };
    }
    this.onHeldDone = () => {
      owner.free(this);
      handlers.slotReleased();
    };
  }

  /** The item's call rejected: the error policy runs, and may hold the slot (a dead letter). */
  #failed(owner: WorkerSlots, handlers: SlotHandlers, error: unknown): void {
    const { item, index } = this;
    this.item = undefined;
    this.ctx.index = index;
    const pending = handlers.itemFailed(item, index, error, this.ctx);
    if (pending === undefined) {
      owner.free(this);
      handlers.slotReleased();
    } else {
      void pending.then(this.onHeldDone);
    }
  }
}

/**
 * The places a stage's items occupy while in flight: a stack of free slots, each with its own
 * `ctx` and its own pre-bound settle callbacks, so an async item costs one `then` and nothing
 * else. Slots are made on demand, up to the gate's largest limit; an item may start only while
 * fewer than the gate's current limit are taken.
 */
export class WorkerSlots {
  readonly #free: SlotState[] = [];
  readonly #all: SlotState[] = [];
  readonly #gate: DispatchGate;
  readonly #stage: string;
  readonly #handlers: SlotHandlers;
  /** Slots holding an item (or a dead-letter call) now; a plain field, read per item. */
  taken = 0;
  /** Of `taken`, slots held by calls past their timeout, whose items have moved on. */
  lingering = 0;
  /** Each slot's resource, once a stage's `resources` are made. */
  #resourceOf: ((slot: number) => unknown) | undefined = undefined;
  /** The stage's `timeout` over its slots, when it has one. */
  #deadlines: SlotDeadlines | undefined = undefined;
  /**
   * Places of the width held by calls that outlived their item (timed out and ignoring their
   * signal, or a hedge's loser) until they settle: they count against the width like a slot.
   */
  held = 0;

  constructor(gate: DispatchGate, stage: string, handlers: SlotHandlers) {
    this.#gate = gate;
    this.#stage = stage;
    this.#handlers = handlers;
  }

  /** Whether no more item may start: as many slots are taken as the gate allows. */
  get allBusy(): boolean {
    return this.taken + this.held >= this.#gate.limit;
  }

  /** Whether no slot holds an item. */
  get allFree(): boolean {
    return this.taken === 0;
  }

  /** Whether no slot holds an item the stage still waits for (calls past their timeout aside). */
  get idle(): boolean {
    return this.taken === this.lingering;
  }

  /**
   * Times every async call: one past `timeoutMs` is aborted and its item handed to
   * `itemTimedOut`, while the call keeps its slot (and its `ctx`) until it settles.
   */
  enableTimeout(timeoutMs: number, clock: Clock): void {
    this.#deadlines = new SlotDeadlines(timeoutMs, clock, this.#stage, this.#all, this.#expire);
  }

  /** Clears the timeout's timer: the stage is done. */
  stopTimeouts(): void {
    this.#deadlines?.stop();
  }

  /** @internal A lingering call settled: its slot is free. */
  releaseLingering(state: SlotState): void {
    state.lingering = false;
    state.item = undefined;
    this.lingering--;
    this.free(state);
    this.#handlers.slotReleased();
  }

  readonly #expire = (slot: TimedSlot, error: TimeoutError): void => {
    const state = slot as SlotState;
    const { item, index, ctx } = state;
    state.lingering = true;
    state.item = undefined;
    this.lingering++;
    ctx.index = index;
    ctx.abortCall(error);
    const pending = this.#handlers.itemTimedOut!(item, index, error, ctx);
    if (pending !== undefined) this.holdUntil(this.peek(), pending);
  };

  /** The slot the next item will take; sync calls borrow its `ctx` without taking it. */
  peek(): WorkerSlot {
    const free = this.#free;
    if (free.length === 0) {
      const ctx = new CallContext(this.#stage, this.#all.length, this.#gate);
      if (this.#resourceOf !== undefined) ctx.resource = this.#resourceOf(ctx.slot);
      const slot = new SlotState(ctx, this, this.#handlers, this.#deadlines !== undefined);
      this.#all.push(slot);
      free.push(slot);
    }
    return free[free.length - 1]!;
  }

  /** Takes the peeked slot for an item until `pending` settles. */
  await(slot: WorkerSlot, item: unknown, index: number, pending: PromiseLike<unknown>): void {
    const state = this.#take(slot);
    state.item = item;
    state.index = index;
    if (this.#deadlines !== undefined) this.#deadlines.started(state);
    if (pending instanceof Promise) pending.then(state.onValue, state.onError);
    else Promise.resolve(pending).then(state.onValue, state.onError);
  }

  /** Starts another item in a slot that is still taken (its last item just settled). */
  reuse(slot: WorkerSlot, item: unknown, index: number, pending: PromiseLike<unknown>): void {
    const state = slot as SlotState;
    state.item = item;
    state.index = index;
    if (this.#deadlines !== undefined) this.#deadlines.started(state);
    if (pending instanceof Promise) pending.then(state.onValue, state.onError);
    else Promise.resolve(pending).then(state.onValue, state.onError);
  }

  /** Takes the peeked slot until `pending` (which never rejects) settles. */
  holdUntil(slot: WorkerSlot, pending: Promise<void>): void {
    const state = this.#take(slot);
    void pending.then(state.onHeldDone);
  }

  /** Returns a taken slot to the free stack. */
  free(slot: WorkerSlot): void {
    this.taken--;
    this.#free.push(slot as SlotState);
  }

  /** Hands each slot its resource, `of(slot)` (a stage's `resources` were made). */
  giveResources(of: (slot: number) => unknown): void {
    this.#resourceOf = of;
    for (const slot of this.#all) slot.ctx.resource = of(slot.ctx.slot);
  }

  /** Aborts the signal of every call in flight (and of a sync call under way). */
  abortAll(reason: unknown): void {
    for (const slot of this.#all) slot.ctx.abortCall(reason);
  }

  #take(slot: WorkerSlot): SlotState {
    const state = this.#free.pop();
    if (state !== slot) throw new Error("sluice internal error: a slot was taken out of turn");
    this.taken++;
    return state;
  }
}
