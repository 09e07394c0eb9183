/**
 * S4 — CPU-bound: the SHA-256 hex digest of 200k buffers of 1 KiB pseudo-random bytes, on
 * worker threads. The buffers (and the digests the sink expects) are made before timing, the
 * same bytes in every process; pool start-up and shutdown are timed, since a user pays them.
 * Run one contender: `node bench/scenarios/s4-cpu.js <contender> [n]`.
 * @module
 */
import { isMain, runChild } from "../lib/child.js";
import { rawSha256Contender } from "../lib/raw-workers.js";
import { loadSluiceThreads, threadsUnavailable } from "../lib/sluice.js";
import { hexKey, randomBuffers } from "../lib/source.js";
import {
  PER_ITEM_WINDOW,
  THREADS,
  chunks,
  inFlight,
  perItemPool,
  threadStageInfo,
  withPool,
  workerUrl,
} from "../lib/threads.js";
import sha256Hex from "../workers/sha256-hex.worker.js";

const ITEM_BYTES = 1024;
const SEED = 0x5eed4;
/** raw-workers (`../lib/raw-workers.js`): items per message, and messages in flight per thread. */
const RAW_BATCH = 1024;
const RAW_IN_FLIGHT = 2;
/** piscina-batched: items per task, and tasks in flight (two per thread waiting in its queue). */
const PISCINA_BATCH = 256;
const BATCH_WINDOW = 4 * THREADS;

const SHA_WORKER = workerUrl("sha256-hex.worker.js");

/**
 * The input: `n` buffers of 1 KiB, and the key (first 8 hex digits) of each one's digest,
 * computed here on the main thread, untimed.
 * @param {number} n
 */
function prepare(n) {
  const input = randomBuffers(n, ITEM_BYTES, SEED);
  const expected = new Uint32Array(n);
  for (let i = 0; i < n; i++) expected[i] = hexKey(sha256Hex(input[i]));
  return { input, expected };
}

/** Bare: a plain loop on the main thread. */
function mainThread(_n, _lib, sink, input) {
  for (const buf of input) sink.add(sha256Hex(buf));
}

/** piscina: batches of 256 buffers packed by hand, one `run(batch)` each, 4 per thread in flight. */
async function piscinaBatched(_n, { Piscina }, sink, input) {
  const pool = new Piscina({
    filename: workerUrl("sha256-hex-batch.worker.js").href,
    minThreads: THREADS,
    maxThreads: THREADS,
  });
  await withPool(pool, () =>
    inFlight(chunks(input, PISCINA_BATCH), BATCH_WINDOW, async (batch) => {
      for (const hex of await pool.run(batch)) sink.add(hex);
    }),
  );
}

/** sluice: a `thread()` stage, unordered, its defaults (threads = CPU quota, adaptive batches). */
async function sluiceThread(_n, { from, thread }, sink, input) {
  const run = from(input)
    .map(thread(new URL("../workers/sha256-hex.worker.js", import.meta.url)), { ordered: false })
    .forEach((y) => {
      sink.add(y);
    })
    .run();
  await run.drain();
  return threadStageInfo(run);
}

/** sluice: the same stage, ordered. */
async function sluiceThreadOrdered(_n, { from, thread }, sink, input) {
  const run = from(input)
    .map(thread(new URL("../workers/sha256-hex.worker.js", import.meta.url)), { ordered: true })
    .forEach((y) => {
      sink.add(y);
    })
    .run();
  await run.drain();
  return threadStageInfo(run);
}

/** @type {import("../lib/child.js").Scenario} */
export const scenario = {
  id: "S4",
  title: `CPU-bound: sha256 hex of 200k random 1 KiB buffers, ${THREADS} threads`,
  file: import.meta.url,
  n: 200_000,
  quickN: 20_000,
  prepare,
  key: hexKey,
  ordered: false,
  contenders: [
    { name: "main-thread", label: "main thread, plain loop", kind: "bare", run: mainThread },
    rawSha256Contender(RAW_BATCH, RAW_IN_FLIGHT),
    {
      name: "sluice-thread",
      label: "sluice thread() (unordered)",
      kind: "sluice",
      load: loadSluiceThreads,
      unavailable: threadsUnavailable,
      run: sluiceThread,
    },
    {
      name: "sluice-thread-ordered",
      label: "sluice thread() (ordered)",
      kind: "sluice",
      load: loadSluiceThreads,
      unavailable: threadsUnavailable,
      run: sluiceThreadOrdered,
      ordered: true,
    },
    {
      name: "piscina-per-item",
      label: `piscina, one task per item (${PER_ITEM_WINDOW} in flight)`,
      kind: "peer",
      load: () => import("piscina"),
      run: perItemPool("Piscina", SHA_WORKER),
    },
    {
      name: "piscina-batched",
      label: `piscina, ${PISCINA_BATCH}-item batches by hand`,
      kind: "peer",
      load: () => import("piscina"),
      run: piscinaBatched,
    },
    {
      name: "tinypool-per-item",
      label: `tinypool, one task per item (${PER_ITEM_WINDOW} in flight)`,
      kind: "peer",
      load: () => import("tinypool"),
      run: perItemPool("Tinypool", SHA_WORKER),
    },
  ],
  targets: [
    {
      label: "S4 sluice thread ≥ 95% of raw worker_threads",
      contender: "sluice-thread",
      vs: "raw-workers",
      min: 0.95,
    },
    {
      label: "S4 sluice thread ≥ 1.7× piscina with hand-made batches",
      contender: "sluice-thread",
      vs: "piscina-batched",
      min: 1.7,
    },
    {
      label: "S4 sluice thread ≥ 15× piscina per item",
      contender: "sluice-thread",
      vs: "piscina-per-item",
      min: 15,
    },
  ],
};

if (isMain(import.meta.url)) await runChild(scenario);
