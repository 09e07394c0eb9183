/**
 * S8a — CPU-bound heavy items: the SHA-256 hex digest of 60k buffers of 64 KiB (3.9 GB hashed,
 * about 3 s on the main thread of the 2-core benchmark machine), on worker threads against
 * the main thread alone. The items cycle through 256 distinct pseudo-random buffers (16 MiB:
 * 60k distinct ones would hold 3.9 GB), made before timing with the digests the sink
 * expects; pool start-up and shutdown are timed.
 * Run one contender: `node bench/scenarios/s8a-heavy-sha256.js <contender> [n]`.
 * @module
 */
import { isMain, runChild } from "../lib/child.js";
import { rawSha256Contender } from "../lib/raw-workers.js";
import { loadSluiceThreads, threadsUnavailable } from "../lib/sluice.js";
import { hexKey, randomBuffers } from "../lib/source.js";
import {
  PER_ITEM_WINDOW,
  THREADS,
  perItemPool,
  threadStageInfo,
  workerUrl,
} from "../lib/threads.js";
import sha256Hex from "../workers/sha256-hex.worker.js";

const ITEM_BYTES = 64 * 1024;
const DISTINCT = 256;
const SEED = 0x5eed8a;
/**
 * raw-workers: items per message (about 4 ms of work, as sluice's batches aim for), and
 * messages in flight per thread.
 */
const RAW_BATCH = 64;
const RAW_IN_FLIGHT = 2;
const SHA_WORKER = workerUrl("sha256-hex.worker.js");

/**
 * The input: `n` items cycling through {@link DISTINCT} buffers of 64 KiB (the same buffer
 * object recurs, so a contender must not detach what it is given), and each item's expected
 * digest key.
 * @param {number} n
 */
function prepare(n) {
  const distinct = randomBuffers(Math.min(n, DISTINCT), ITEM_BYTES, SEED);
  const keys = distinct.map((buf) => hexKey(sha256Hex(buf)));
  const input = Array.from({ length: n }, (_, i) => distinct[i % distinct.length]);
  const expected = Uint32Array.from({ length: n }, (_, i) => keys[i % keys.length]);
  // The same items, their bytes in one SharedArrayBuffer instead, for the contender that
  // shows sluice's no-copy path (every other contender gets the private Buffers above).
  const shared = new SharedArrayBuffer(distinct.length * ITEM_BYTES);
  const sharedDistinct = distinct.map((buf, i) => {
    const view = Buffer.from(shared, i * ITEM_BYTES, ITEM_BYTES);
    buf.copy(view);
    return view;
  });
  input.shared = Array.from({ length: n }, (_, i) => sharedDistinct[i % sharedDistinct.length]);
  return { input, expected };
}

/** Bare: a plain loop on the main thread. */
function mainThread(_n, _lib, sink, input) {
  for (const buf of input) sink.add(sha256Hex(buf));
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

/**
 * sluice: the same stage over the same bytes, kept in a `SharedArrayBuffer`: the threads read
 * them where they are, with no copy (not the target's contender: the scenario's items are
 * private Buffers, which must be copied to reach a thread).
 */
function sluiceThreadShared(n, lib, sink, input) {
  return sluiceThread(n, lib, sink, input.shared);
}

/** @type {import("../lib/child.js").Scenario} */
export const scenario = {
  id: "S8a",
  title: `CPU-bound heavy items: sha256 hex of 60k 64 KiB buffers, ${THREADS} threads`,
  file: import.meta.url,
  n: 60_000,
  quickN: 4_000,
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
      name: "sluice-thread-shared",
      label: "sluice thread(), the items' bytes in a SharedArrayBuffer (not copied)",
      kind: "sluice",
      load: loadSluiceThreads,
      unavailable: threadsUnavailable,
      run: sluiceThreadShared,
    },
    {
      name: "piscina-per-item",
      label: `piscina, one task per item (${PER_ITEM_WINDOW} in flight)`,
      kind: "peer",
      load: () => import("piscina"),
      run: perItemPool("Piscina", SHA_WORKER),
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
      label: "S8a sluice thread ≥ 1.7× the main thread alone",
      contender: "sluice-thread",
      vs: "main-thread",
      min: 1.7,
    },
    {
      label: "S8a sluice thread ≥ 1.00× the faster of piscina and tinypool",
      contender: "sluice-thread",
      vs: "fastest-peer",
      min: 1,
    },
  ],
};

if (isMain(import.meta.url)) await runChild(scenario);
