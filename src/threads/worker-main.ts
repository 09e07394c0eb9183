/**
 * The code every pool thread runs: loads stage modules on demand, runs their `init()` once,
 * and runs batches of items through their default export, one message back per batch.
 * Sync calls run one after another; an async call's promise is collected and the batch
 * answers once every call of it has settled, so async calls of one batch overlap.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { isThenable } from "../stage/thenable.js";
import { errorToRecord } from "./thread-error.js";
import {
  type BatchMessage,
  type DoneMessage,
  type InitMessage,
  ThreadKind,
  type ToThread,
} from "./protocol.js";
import {
  PackedItems,
  PackedKind,
  SharedBufferItems,
  mayReturnPacking,
  packingToReturn,
} from "./packed-bytes.js";
import { ownBytes } from "./own-bytes.js";
import { markBuffers, restoreBuffers } from "./buffer-marks.js";
import { collectTransfers } from "./transfer.js";
import { isTypeScriptUrl } from "./typescript-url.js";

interface ThreadData {
  readonly thread: number;
  readonly progress: SharedArrayBuffer;
  /** One claim cursor per slot (see `BatchMessage.claim`). */
  readonly claims: SharedArrayBuffer;
  readonly transfer: boolean;
}

type WorkerFn = (item: unknown, ctx: unknown) => unknown;

interface LoadedModule {
  readonly fn: WorkerFn;
  readonly state: unknown;
}

const port = parentPort!;
const data = workerData as ThreadData;
const startedAt = new Float64Array(data.progress, 0, 1);
const current = new Int32Array(data.progress, 8, 2);
const claims = new Int32Array(data.claims);
const modules = new Map<number, Promise<LoadedModule>>();
const controllers = new Map<number, AbortController>();
const cancelled = new Map<number, unknown>();

/** Messages received, read or not: the pool numbers what it posts the same way. */
let received = 0;

port.on("messageerror", (error: Error) => {
  received++;
  port.postMessage({ t: "unreadable", seq: received, error: errorToRecord(error) });
});

port.on("message", (message: ToThread) => {
  received++;
  switch (message.t) {
    case "init":
      modules.set(message.module, load(message));
      break;
    case "batch":
      void runBatch(message);
      break;
    case "cancel": {
      const controller = controllers.get(message.id);
      if (controller === undefined) cancelled.set(message.id, message.reason);
      else controller.abort(message.reason);
      break;
    }
  }
});

async function load(message: InitMessage): Promise<LoadedModule> {
  try {
    // tsx only for a TypeScript module, loaded then: a thread's start-up is on the clock.
    if (isTypeScriptUrl(message.url)) {
      const { registerTsx } = await import("./typescript-loader.js");
      await registerTsx(message.url);
    }
    const module = (await import(message.url)) as { default?: unknown; init?: unknown };
    const fn = module.default;
    if (typeof fn !== "function") {
      throw new TypeError(
        `Expected the module's default export to be the per-item function, got ${typeof fn}`,
      );
    }
    const state =
      typeof module.init === "function" ? await (module.init as () => unknown)() : undefined;
    port.postMessage({ t: "ready", module: message.module });
    return { fn: fn as WorkerFn, state };
  } catch (error) {
    port.postMessage({ t: "ready", module: message.module, error: errorToRecord(error) });
    throw error;
  }
}

/** What a call receives beside its item, on a thread. */
class ThreadCallContext {
  index = 0;
  readonly stage: string;
  readonly slot: number;
  readonly state: unknown;
  readonly #batch: number;

  constructor(stage: string, state: unknown, batch: number) {
    this.stage = stage;
    this.slot = data.thread;
    this.state = state;
    this.#batch = batch;
  }

  get worker(): number {
    return this.slot;
  }

  /** The batch's signal, made when first read: aborted when the stage stops. */
  get signal(): AbortSignal {
    let controller = controllers.get(this.#batch);
    if (controller === undefined) {
      controller = new AbortController();
      controllers.set(this.#batch, controller);
      if (cancelled.has(this.#batch)) controller.abort(cancelled.get(this.#batch));
    }
    return controller.signal;
  }
}

async function runBatch(batch: BatchMessage): Promise<void> {
  const t0 = performance.now();
  let loaded: LoadedModule;
  try {
    loaded = await modules.get(batch.module)!;
  } catch {
    return; // The main thread heard of the failed init; it never waits for this batch.
  }
  const calls = new BatchCalls(batch, loaded);
  calls.runAll();
  Atomics.store(current, 0, 0);
  if (calls.pending !== undefined) await Promise.all(calls.pending);
  controllers.delete(batch.id);
  cancelled.delete(batch.id);
  const { values, failures, times } = calls;
  if (failures !== undefined && values !== undefined) {
    for (const [position] of failures) values[position] = undefined;
  }
  if (batch.kind === ThreadKind.filter && values !== undefined) {
    // The main thread reads a filter's answers for their truth only: booleans cross where
    // what the predicate returned (an object, a view of the item, a function) may be dear
    // to clone, or not cloneable at all.
    for (let i = 0; i < values.length; i++) values[i] = Boolean(values[i]);
  }
  // Plain values (numbers, strings) have nothing to transfer and cannot alias the packing:
  // one scan tells both.
  const plain = mayReturnPacking(values, failures);
  // Other values (and failures, whose errors may carry them) are looked into: a view of the
  // packed bytes among them gets bytes of its own, and the packing can still go back.
  const packed = batch.packed;
  let unaliased = plain;
  if (!plain && packed !== undefined && packed.kind !== PackedKind.latin1) {
    const valuesOwn = values === undefined || ownBytes(values, packed.buffer);
    const failuresOwn = failures === undefined || ownBytes(failures, packed.buffer);
    unaliased = valuesOwn && failuresOwn;
  }
  const packing = packingToReturn(packed, unaliased);
  const ms = performance.now() - t0;
  // `times` only when calls were timed: without metrics the message keeps its shape.
  send(
    times === undefined
      ? { t: "done", id: batch.id, values, failures, ms, packing }
      : { t: "done", id: batch.id, values, failures, ms, packing, times },
    plain,
  );
}

/**
 * The calls of one batch, run in order on this thread. The loop is a plain method, apart
 * from the batch's async shell: an async function's loop compiled (and recompiled on stack)
 * at twice the cost of the hash it ran (S4), on cores the calls need.
 */
class BatchCalls {
  readonly values: unknown[] | undefined;
  failures: [number, unknown][] | undefined;
  pending: Promise<void>[] | undefined;
  /** The timed calls, `[position, ms]` pairs (metrics). */
  times: number[] | undefined;
  readonly #batch: BatchMessage;
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

  constructor(batch: BatchMessage, loaded: LoadedModule) {
    this.#batch = batch;
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
    this.values =
      kind !== ThreadKind.tap && kind !== ThreadKind.forEach
        ? new Array<unknown>(this.#count)
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
    let ctx = new ThreadCallContext(batch.stage, this.#state, id);
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
          ctx = new ThreadCallContext(batch.stage, this.#state, id);
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
        ctx = new ThreadCallContext(batch.stage, this.#state, id);
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
      settleLater(result, i, this.#batch, (position, value, error) => {
        if (start >= 0) (this.times ??= []).push(position, performance.now() - start);
        if (error !== undefined) (this.failures ??= []).push([position, error]);
        else if (this.values !== undefined) this.values[position] = value;
      }),
    );
  }
}

/**
 * Waits for an async call and reports it once: its value or its failure. In a timed batch, a call still running after the timeout has its signal
 * aborted and is reported as timed out; its late result is ignored. (A sync call past the
 * timeout is stopped by the main thread, which terminates this thread.)
 */
function settleLater(
  result: PromiseLike<unknown>,
  position: number,
  batch: BatchMessage,
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
    timer = setTimeout(() => {
      if (!over) {
        over = true;
        const elapsed = Date.now() - started;
        controllers.get(batch.id)?.abort(new Error(`Timed out after ${elapsed} ms`));
        report(position, undefined, { timedOutAfterMs: elapsed });
      }
      resolve();
    }, batch.timeout);
  });
  return Promise.race([settled.then(() => clearTimeout(timer)), expired]);
}

/** Sends a batch's results; values that cannot be cloned become that item's failure. */
function send(message: DoneMessage, plain: boolean): void {
  let list =
    message.values === undefined || plain ? undefined : collectTransfers(message.values, false);
  if (message.packing !== undefined) (list ??= []).push(message.packing);
  try {
    port.postMessage(withBuffers(message, plain), list);
    return;
  } catch {
    // Find the values that cannot cross, fail those items, and send the rest.
  }
  const values = message.values!;
  const failures = message.failures ?? [];
  for (let i = 0; i < values.length; i++) {
    try {
      structuredClone(values[i]);
    } catch (error) {
      values[i] = undefined;
      failures.push([
        i,
        errorToRecord(
          new TypeError(
            `The result could not be sent to the main thread: ${(error as Error).message}`,
          ),
        ),
      ]);
    }
  }
  port.postMessage(withBuffers({ ...message, values, failures, packing: undefined }, false));
}

/**
 * The message with where its values hold Buffers (`buffers`), which clone sends as plain
 * Uint8Arrays; as it is when they hold none, so the common message keeps its shape.
 */
function withBuffers(message: DoneMessage, plain: boolean): DoneMessage {
  if (plain || message.values === undefined) return message;
  const buffers = markBuffers(message.values);
  return buffers === undefined ? message : { ...message, buffers };
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
