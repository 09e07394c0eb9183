/**
 * The code every pool thread runs: loads stage modules on demand, runs their `init()` once,
 * and runs batches of items through their default export, one message back per batch.
 * Sync calls run one after another; an async call's promise is collected and the batch
 * answers once every call of it has settled, so async calls of one batch overlap.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { errorToRecord } from "./thread-error.js";
import {
  type BatchMessage,
  type DoneMessage,
  type InitMessage,
  ThreadKind,
  type ToThread,
} from "./protocol.js";
import { PackedItems, mayReturnPacking } from "./packed-bytes.js";
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

port.on("message", (message: ToThread) => {
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
  const { fn, state } = loaded;
  // Packed byte items are read one view at a time, as their calls start.
  const packed = batch.packed === undefined ? undefined : new PackedItems(batch.packed);
  const items = batch.items;
  const count = packed === undefined ? items.length : packed.count;
  const kind = batch.kind;
  const wantValues = kind !== ThreadKind.tap && kind !== ThreadKind.forEach;
  const values: unknown[] | undefined = wantValues ? new Array<unknown>(count) : undefined;
  let failures: [number, unknown][] | undefined;
  let pending: Promise<void>[] | undefined;
  const timed = batch.timeout > 0;
  // Metrics: the calls the main thread picked to time (ascending), as `[position, ms]` pairs
  // in `times`. Without them, `nextSample` stays -1: one comparison per call, no clock read.
  const sample = batch.sample;
  let nextSample = sample === undefined ? -1 : sample[0]!;
  let sampled = 0;
  let times: number[] | undefined;
  let ctx = new ThreadCallContext(batch.stage, state, batch.id);
  // Each call is claimed before it runs: the main thread may take the batch's tail (the
  // positions not claimed yet) for an idle thread while a slow call runs here.
  const claim = batch.claim;
  let next = 0;
  for (;;) {
    const i = claim === undefined ? next++ : Atomics.add(claims, claim, 1);
    if (i >= count) break;
    ctx.index = batch.indices === undefined ? batch.first + i : batch.indices[i]!;
    // Which call runs now: the watchdog reads it for timeouts, the pool after a crash (so
    // only the call that was running is suspected). Two stores, and a clock read if timed.
    Atomics.store(current, 1, i);
    if (timed) startedAt[0] = Date.now();
    Atomics.store(current, 0, batch.id);
    let result: unknown;
    let start = -1;
    try {
      if (i === nextSample) {
        nextSample = sample![++sampled] ?? -1;
        start = performance.now();
      }
      result = fn(packed === undefined ? items[i] : packed.next(), ctx);
    } catch (error) {
      if (start >= 0) (times ??= []).push(i, performance.now() - start);
      (failures ??= []).push([i, errorToRecord(error)]);
      continue;
    }
    // A flatMap's values are read whole here, so its timed call includes reading them.
    if (kind === ThreadKind.flatMap) result = readAll(result);
    if (
      typeof result === "object" &&
      result !== null &&
      typeof (result as PromiseLike<unknown>).then === "function"
    ) {
      (pending ??= []).push(
        settleLater(result as PromiseLike<unknown>, i, batch, (position, value, error) => {
          if (start >= 0) (times ??= []).push(position, performance.now() - start);
          if (error !== undefined) (failures ??= []).push([position, error]);
          else if (values !== undefined) values[position] = value;
        }),
      );
      // The call keeps this ctx (it may read it after an await): the next call gets its own.
      ctx = new ThreadCallContext(batch.stage, state, batch.id);
      continue;
    }
    if (start >= 0) (times ??= []).push(i, performance.now() - start);
    if (values !== undefined) values[i] = result;
  }
  Atomics.store(current, 0, 0);
  if (pending !== undefined) await Promise.all(pending);
  controllers.delete(batch.id);
  cancelled.delete(batch.id);
  if (failures !== undefined && values !== undefined) {
    for (const [position] of failures) values[position] = undefined;
  }
  const packing =
    batch.packed !== undefined && mayReturnPacking(values, failures)
      ? batch.packed.buffer
      : undefined;
  const ms = performance.now() - t0;
  // `times` only when calls were timed: without metrics the message keeps its shape.
  send(
    times === undefined
      ? { t: "done", id: batch.id, values, failures, ms, packing }
      : { t: "done", id: batch.id, values, failures, ms, packing, times },
  );
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
function send(message: DoneMessage): void {
  let list = message.values === undefined ? undefined : collectTransfers(message.values, false);
  if (message.packing !== undefined) (list ??= []).push(message.packing);
  try {
    port.postMessage(message, list);
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
  port.postMessage({ ...message, values, failures, packing: undefined });
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
