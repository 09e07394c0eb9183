/**
 * The calls of one batch on a pool thread: each item through the module's function, in
 * order, claimed before it runs (the main thread may take a batch's unclaimed tail), its
 * start recorded where the main thread reads it (crash and timeout), async calls collected
 * to settle together. `worker-main.ts` receives the batches and sends the answers.
 * @module
 */
import { isThenable } from "../stage/thenable.js";
import { errorToRecord } from "./thread-error.js";
import { type BatchMessage, ThreadKind } from "./protocol.js";
import { PackedItems, SharedBufferItems } from "./packed-bytes.js";
import { restoreBuffers } from "./buffer-marks.js";
import { denseArray } from "./dense-array.js";

/** A stage module's default export: the per-item function. */
export type WorkerFn = (item: unknown, ctx: unknown) => unknown;

/** A stage module loaded on this thread, its `init()` run. */
export interface LoadedModule {
  readonly fn: WorkerFn;
  readonly state: unknown;
}

/**
 * This thread's side of what it shares with the main thread (see `PROGRESS_BYTES`): its
 * slot, the running call's start and `[batch id, position]`, the claim cursors, and the
 * batches' abort controllers (and cancel reasons that came before a call asked for one).
 */
export interface ThreadSide {
  readonly slot: number;
  readonly startedAt: Float64Array;
  readonly current: Int32Array;
  readonly claims: Int32Array;
  readonly controllers: Map<number, AbortController>;
  readonly cancelled: Map<number, unknown>;
}

/**
 * The calls of one batch, run in order on this thread. The loop is a plain method, apart
 * from the batch's async shell: an async function's loop compiled (and recompiled on stack)
 * at twice the cost of the hash it ran (S4), on cores the calls need.
 */
export class BatchCalls {
  readonly values: unknown[] | undefined;
  failures: [number, unknown][] | undefined;
  pending: Promise<void>[] | undefined;
  /** The timed calls, `[position, ms]` pairs (metrics). */
  times: number[] | undefined;
  readonly #batch: BatchMessage;
  readonly #side: ThreadSide;
  readonly #fn: WorkerFn;
  readonly #state: unknown;
  /**
   * Packed byte items (or Buffers in shared memory) are read one view at a time, as their
   * calls start.
   */
  readonly #packed: PackedItems | SharedBufferItems | undefined;
  readonly #count: number;
  // Metrics: the calls the main thread picked to time (ascending). Without them,
  // `#nextSample` stays -1: one comparison per call, no clock read.
  #nextSample: number;
  #sampled = 0;

  constructor(batch: BatchMessage, loaded: LoadedModule, side: ThreadSide) {
    this.#batch = batch;
    this.#side = side;
    this.#fn = loaded.fn;
    this.#state = loaded.state;
    this.#packed =
      batch.packed !== undefined
        ? new PackedItems(batch.packed)
        : batch.sharedBuffers === true
          ? new SharedBufferItems(batch.items)
          : undefined;
    this.#count = this.#packed === undefined ? batch.items.length : this.#packed.count;
    // Cloned items held Buffers where the main thread marked them: Buffers again here.
    if (batch.buffers !== undefined) restoreBuffers(batch.items as unknown[], batch.buffers);
    const kind = batch.kind;
    // Dense, however its calls settle: it is what the answer clones.
    this.values =
      kind !== ThreadKind.tap && kind !== ThreadKind.forEach
        ? denseArray<unknown>(this.#count)
        : undefined;
    this.#nextSample = batch.sample === undefined ? -1 : batch.sample[0]!;
  }

  /**
   * Runs every call. Each is claimed before it runs: the main thread may take the batch's
   * tail (the positions not claimed yet) for an idle thread while a slow call runs here.
   */
  runAll(): void {
    const batch = this.#batch;
    const { items, indices, first, claim, id } = batch;
    const packed = this.#packed;
    const count = this.#count;
    const fn = this.#fn;
    const values = this.values;
    const timed = batch.timeout > 0;
    const flat = batch.kind === ThreadKind.flatMap;
    const step = batch.claimStep;
    const side = this.#side;
    const { current, startedAt, claims } = side;
    let ctx = new ThreadCallContext(batch.stage, this.#state, id, side);
    // Positions [next, claimed) are this thread's to run.
    let next = 0;
    let claimed = claim === undefined ? count : 0;
    // Untimed, only the pool reads the progress record, after the thread is gone: the batch
    // id once, and a plain store of the position per call.
    if (!timed) {
      current[1] = 0;
      Atomics.store(current, 0, id);
    }
    for (;;) {
      if (next >= claimed) {
        // Without a claim slot the batch was all this thread's from the start.
        if (claim === undefined) break;
        next = Atomics.add(claims, claim, step);
        claimed = next + step;
      }
      const i = next++;
      if (i >= count) break;
      ctx.index = indices === undefined ? first + i : indices[i]!;
      // Which call runs now: the pool reads it after a crash (so only the call that was
      // running is suspected), the watchdog for timeouts (then with its start, in order).
      if (timed) {
        Atomics.store(current, 1, i);
        startedAt[0] = Date.now();
        Atomics.store(current, 0, id);
      } else {
        current[1] = i;
      }
      const item = packed === undefined ? items[i] : packed.next();
      if (i === this.#nextSample) {
        // An async call keeps its ctx (it may read it after an await).
        if (this.#timedCall(i, item, ctx))
          ctx = new ThreadCallContext(batch.stage, this.#state, id, side);
        continue;
      }
      let result: unknown;
      try {
        result = fn(item, ctx);
      } catch (error) {
        (this.failures ??= []).push([i, errorToRecord(error)]);
        continue;
      }
      // A flatMap's values are read whole here.
      if (flat) result = readAll(result);
      if (isThenable(result)) {
        this.#settleLater(result, i, -1);
        // The call keeps this ctx (it may read it after an await): the next call gets its own.
        ctx = new ThreadCallContext(batch.stage, this.#state, id, side);
        continue;
      }
      if (values !== undefined) values[i] = result;
    }
  }

  /**
   * A call the metrics time: the clock around it (around reading a flatMap's values too),
   * until an async one settles. True when the call is async, and so keeps its ctx.
   */
  #timedCall(i: number, item: unknown, ctx: ThreadCallContext): boolean {
    this.#nextSample = this.#batch.sample![++this.#sampled] ?? -1;
    const start = performance.now();
    let result: unknown;
    try {
      result = this.#fn(item, ctx);
      if (this.#batch.kind === ThreadKind.flatMap) result = readAll(result);
    } catch (error) {
      (this.times ??= []).push(i, performance.now() - start);
      (this.failures ??= []).push([i, errorToRecord(error)]);
      return false;
    }
    if (isThenable(result)) {
      this.#settleLater(result, i, start);
      return true;
    }
    (this.times ??= []).push(i, performance.now() - start);
    if (this.values !== undefined) this.values[i] = result;
    return false;
  }

  #settleLater(result: PromiseLike<unknown>, i: number, start: number): void {
    (this.pending ??= []).push(
      settleLater(result, i, this.#batch, this.#side.controllers, (position, value, error) => {
        if (start >= 0) (this.times ??= []).push(position, performance.now() - start);
        if (error !== undefined) (this.failures ??= []).push([position, error]);
        else if (this.values !== undefined) this.values[position] = value;
      }),
    );
  }
}

/**
 * Waits for an async call and reports it once: its value or its failure. In a timed batch, a
 * call still running after the timeout (and after the timers due with it) has its signal
 * aborted and is reported as timed out; its late result is ignored. (A sync call past the
 * timeout is stopped by the main thread, which terminates this thread.)
 */
function settleLater(
  result: PromiseLike<unknown>,
  position: number,
  batch: BatchMessage,
  controllers: Map<number, AbortController>,
  report: (position: number, value: unknown, error: unknown) => void,
): Promise<void> {
  let over = false;
  const settled = Promise.resolve(result).then(
    (value) => {
      if (over) return;
      over = true;
      report(position, value, undefined);
    },
    (error: unknown) => {
      if (over) return;
      over = true;
      report(position, undefined, errorToRecord(error));
    },
  );
  if (batch.timeout <= 0) return settled;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    const decide = (): void => {
      if (!over) {
        over = true;
        const elapsed = Date.now() - started;
        controllers.get(batch.id)?.abort(new Error(`Timed out after ${elapsed} ms`));
        report(position, undefined, { timedOutAfterMs: elapsed });
      }
      resolve();
    };
    // Decided once every timer due now has run: sync calls that held the thread make timers
    // fire late and together, list by list, so a call whose own timer fell due before its
    // deadline could lose to its timeout, or not, by whichever list Node ran first.
    timer = setTimeout(() => setImmediate(decide), batch.timeout);
  });
  return Promise.race([settled.then(() => clearTimeout(timer)), expired]);
}

/** What a call receives beside its item, on a thread. */
class ThreadCallContext {
  index = 0;
  readonly stage: string;
  readonly slot: number;
  readonly state: unknown;
  readonly #batch: number;
  readonly #side: ThreadSide;

  constructor(stage: string, state: unknown, batch: number, side: ThreadSide) {
    this.stage = stage;
    this.slot = side.slot;
    this.state = state;
    this.#batch = batch;
    this.#side = side;
  }

  get worker(): number {
    return this.slot;
  }

  /** The batch's signal, made when first read: aborted when the stage stops. */
  get signal(): AbortSignal {
    const { controllers, cancelled } = this.#side;
    let controller = controllers.get(this.#batch);
    if (controller === undefined) {
      controller = new AbortController();
      controllers.set(this.#batch, controller);
      if (cancelled.has(this.#batch)) controller.abort(cancelled.get(this.#batch));
    }
    return controller.signal;
  }
}

/**
 * A flatMap call's values, read whole (generators cannot cross threads): an array, or a
 * promise of one for an async result or an async iterable. A throw while reading is the call's.
 */
function readAll(result: unknown): unknown {
  if (typeof result === "object" && result !== null) {
    if (typeof (result as PromiseLike<unknown>).then === "function") {
      return Promise.resolve(result).then(readAll);
    }
    if (Symbol.asyncIterator in result) return readAsync(result as AsyncIterable<unknown>);
  }
  try {
    return [...(result as Iterable<unknown>)];
  } catch (error) {
    return Promise.reject(error);
  }
}

async function readAsync(values: AsyncIterable<unknown>): Promise<unknown[]> {
  const all: unknown[] = [];
  for await (const value of values) all.push(value);
  return all;
}
