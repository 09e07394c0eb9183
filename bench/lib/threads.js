/**
 * What the worker-thread scenarios (S4, S8) share: the thread count every contender uses,
 * the worker modules' URLs, the bounded in-flight loop the per-item peers are driven by, and
 * the reading of a sluice thread stage's stats.
 * @module
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/**
 * Threads for every thread contender: `os.availableParallelism()` capped by the CPU quota of
 * a cgroup v2 container (`/sys/fs/cgroup/cpu.max`), what sluice's `thread()` defaults to.
 * 2 on the benchmark machine.
 */
export const THREADS = threadCount();

function threadCount() {
  const cores = availableParallelism();
  try {
    const [quota, period] = readFileSync("/sys/fs/cgroup/cpu.max", "utf8").trim().split(/\s+/);
    const q = Number(quota) / Number(period);
    return Number.isFinite(q) && q > 0 ? Math.max(1, Math.min(cores, Math.ceil(q))) : cores;
  } catch {
    return cores; // no cgroup v2 file: no quota
  }
}

/**
 * URL of a module in `bench/workers/`.
 * @param {string} file
 */
export const workerUrl = (file) => new URL(`../workers/${file}`, import.meta.url);

/** Tasks in flight for the per-item peers: plenty to keep every thread's queue full. */
export const PER_ITEM_WINDOW = 64;

/**
 * Calls `fn` on every item with at most `limit` calls in flight: `limit` async loops sharing
 * one iterator, the way p-map bounds a `Promise.all`, without its bookkeeping. This is how
 * the per-item peers submit their tasks: enough in flight to keep the pool's queue full,
 * without creating a task and a promise per item up front.
 * @template T
 * @param {Iterable<T>} items
 * @param {number} limit
 * @param {(item: T) => Promise<void>} fn
 */
export async function inFlight(items, limit, fn) {
  const it = items[Symbol.iterator]();
  const loop = async () => {
    for (let r = it.next(); !r.done; r = it.next()) await fn(r.value);
  };
  await Promise.all(Array.from({ length: limit }, loop));
}

/**
 * Consecutive slices of `items` of `size` (the last may be shorter).
 * @template T
 * @param {readonly T[]} items
 * @param {number} size
 * @returns {Generator<T[]>}
 */
export function* chunks(items, size) {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * What the thread stage of a finished sluice run says about itself, from `run.stats()`: the
 * batch size it chose (`batch`), and, when it reports them, its thread count and the batches
 * it sent. Reads `stage.threads.{threads, batch, batches}` (the stats of `sluice/threads`), or
 * a plain `stage.batch`; returns nothing when neither is there. Never throws: the fields are
 * optional, and the benchmark does not depend on them.
 * @param {{ stats?: () => { stages?: readonly Record<string, any>[] } }} run
 * @returns {import("./child.js").Info | undefined}
 */
export function threadStageInfo(run) {
  const stage = run.stats?.().stages?.find((s) => s.kind === "map");
  const t = stage?.threads;
  if (t && typeof t === "object" && t.batch !== undefined) {
    return { batch: t.batch, threads: t.threads, batches: t.batches };
  }
  return stage?.batch === undefined ? undefined : { batch: stage.batch };
}

/**
 * The run of a per-item peer, as piscina's and tinypool's READMEs show them (the two share
 * this API): `new Pool({ filename, minThreads, maxThreads })` with {@link THREADS} threads,
 * one `pool.run(item)` per item with at most {@link PER_ITEM_WINDOW} in flight, every result
 * to the sink, and the pool destroyed at the end. Start-up and shutdown are timed.
 * @param {"Piscina" | "Tinypool"} exportName the pool class's export in the library
 * @param {URL} worker the module whose default export is the per-item function
 */
export function perItemPool(exportName, worker) {
  return async function perItem(_n, lib, sink, input) {
    const Pool = lib[exportName];
    const pool = new Pool({ filename: worker.href, minThreads: THREADS, maxThreads: THREADS });
    await withPool(pool, () =>
      inFlight(input, PER_ITEM_WINDOW, async (item) => {
        sink.add(await pool.run(item));
      }),
    );
  };
}

/**
 * Ends a piscina or tinypool pool whatever happened, so the process can exit by itself.
 * @param {{ destroy(): Promise<void> }} pool
 * @param {() => Promise<void>} body
 */
export async function withPool(pool, body) {
  try {
    await body();
  } finally {
    await pool.destroy();
  }
}
