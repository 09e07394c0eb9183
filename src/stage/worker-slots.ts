/** What a stage function sees as `ctx`; mutable here, read-only in the public type. */
export interface MutableContext {
  signal: AbortSignal;
  index: number;
  stage: string;
  worker: number;
}

/** One of a stage's `concurrency` places for an item in flight. */
export interface WorkerSlot {
  readonly ctx: MutableContext;
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
    ctx: MutableContext,
  ): Promise<void> | undefined;
  /** A slot became free without a value (after an error); the stage may dispatch again. */
  slotReleased(): void;
}

class SlotState implements WorkerSlot {
  readonly ctx: MutableContext;
  item: unknown;
  index = -1;
  readonly onValue: (value: unknown) => void;
  readonly onError: (error: unknown) => void;
  readonly onHeldDone: () => void;

  constructor(
    id: number,
    signal: AbortSignal,
    stage: string,
    owner: WorkerSlots,
    handlers: SlotHandlers,
  ) {
    this.ctx = { signal, index: -1, stage, worker: id };
    // Created once per slot, so awaiting an item allocates no closure.
    this.onValue = (value) => {
      const { item, index } = this;
      this.item = undefined;
      handlers.itemSettled(this, item, index, value);
    };
    this.onError = (error) => {
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
    };
    this.onHeldDone = () => {
      owner.free(this);
      handlers.slotReleased();
    };
  }
}

/**
 * The fixed set of places a stage's items occupy while in flight: a stack of free slots,
 * each with its own `ctx` and its own pre-bound settle callbacks, so an async item costs one
 * `then` and nothing else.
 */
export class WorkerSlots {
  readonly #free: SlotState[] = [];
  readonly #size: number;

  constructor(size: number, signal: AbortSignal, stage: string, handlers: SlotHandlers) {
    this.#size = size;
    for (let id = size - 1; id >= 0; id--) {
      this.#free.push(new SlotState(id, signal, stage, this, handlers));
    }
  }

  /** Whether every slot holds an item. */
  get allBusy(): boolean {
    return this.#free.length === 0;
  }

  /** Whether no slot holds an item. */
  get allFree(): boolean {
    return this.#free.length === this.#size;
  }

  /** The slot the next item will take; sync calls borrow its `ctx` without taking it. */
  peek(): WorkerSlot {
    return this.#free[this.#free.length - 1]!;
  }

  /** Takes the peeked slot for an item until `pending` settles. */
  await(slot: WorkerSlot, item: unknown, index: number, pending: PromiseLike<unknown>): void {
    const state = this.#take(slot);
    state.item = item;
    state.index = index;
    if (pending instanceof Promise) pending.then(state.onValue, state.onError);
    else Promise.resolve(pending).then(state.onValue, state.onError);
  }

  /** Starts another item in a slot that is still taken (its last item just settled). */
  reuse(slot: WorkerSlot, item: unknown, index: number, pending: PromiseLike<unknown>): void {
    const state = slot as SlotState;
    state.item = item;
    state.index = index;
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
    this.#free.push(slot as SlotState);
  }

  #take(slot: WorkerSlot): SlotState {
    const state = this.#free.pop();
    if (state !== slot) throw new Error("sluice internal error: a slot was taken out of turn");
    return state;
  }
}
