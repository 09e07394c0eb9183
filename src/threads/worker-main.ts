/**
 * The code every pool thread runs: loads stage modules on demand, runs their `init()` once,
 * and runs batches of items through their default export, one message back per batch.
 * Sync calls run one after another; an async call's promise is collected and the batch
 * answers once every call of it has settled, so async calls of one batch overlap.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { BatchCalls, type LoadedModule, type ThreadSide, type WorkerFn } from "./batch-calls.js";
import { errorToRecord } from "./thread-error.js";
import {
  type BatchMessage,
  type DoneMessage,
  type InitMessage,
  ThreadKind,
  type ToThread,
} from "./protocol.js";
import { PackedKind, mayReturnPacking, packingToReturn } from "./packed-bytes.js";
import { ownBytes } from "./own-bytes.js";
import { markBuffers } from "./buffer-marks.js";
import { collectTransfers } from "./transfer.js";
import { isTypeScriptUrl } from "./typescript-url.js";

interface ThreadData {
  readonly thread: number;
  readonly progress: SharedArrayBuffer;
  /** One claim cursor per slot (see `BatchMessage.claim`). */
  readonly claims: SharedArrayBuffer;
  readonly transfer: boolean;
}

const port = parentPort!;
const data = workerData as ThreadData;
const current = new Int32Array(data.progress, 8, 2);
const controllers = new Map<number, AbortController>();
const cancelled = new Map<number, unknown>();
const side: ThreadSide = {
  slot: data.thread,
  startedAt: new Float64Array(data.progress, 0, 1),
  current,
  claims: new Int32Array(data.claims),
  controllers,
  cancelled,
};
const modules = new Map<number, Promise<LoadedModule>>();

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
    const fn = exportedFunction(module);
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

/**
 * The module's per-item function: its default export, or, for a CommonJS module compiled from
 * ESM (`exports.default = fn`, as TypeScript and Babel emit), the `default` of that.
 */
function exportedFunction(module: { default?: unknown }): unknown {
  const fn = module.default;
  if (typeof fn === "function" || typeof fn !== "object" || fn === null) return fn;
  const inner = (fn as { default?: unknown }).default;
  return typeof inner === "function" ? inner : fn;
}

async function runBatch(batch: BatchMessage): Promise<void> {
  const t0 = performance.now();
  let loaded: LoadedModule;
  try {
    loaded = await modules.get(batch.module)!;
  } catch {
    return; // The main thread heard of the failed init; it never waits for this batch.
  }
  const calls = new BatchCalls(batch, loaded, side);
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
    batch,
  );
}

/** Sends a batch's results; values that cannot be cloned become that item's failure. */
function send(message: DoneMessage, plain: boolean, batch: BatchMessage): void {
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
      const index = batch.indices === undefined ? batch.first + i : batch.indices[i]!;
      const reason = error instanceof Error ? error.message : String(error);
      const unsendable = new TypeError(
        `Stage "${batch.stage}" cannot send the result of item #${index} to the main thread: ${reason}`,
        { cause: error },
      );
      failures.push([i, errorToRecord(unsendable)]);
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
