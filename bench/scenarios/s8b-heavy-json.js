/**
 * S8b — CPU-bound heavy items: `JSON.parse` of a 100 KiB document, 5k times (about 3.4 s on
 * the main thread of the 2-core benchmark machine), on worker threads against the main thread
 * alone. Every item is the same document string (made before
 * timing from a seed), so the threads receive a 100 KiB copy per item, as a user sending
 * documents would; each parse answers the length of the document's `items` array.
 * Run one contender: `node bench/scenarios/s8b-heavy-json.js <contender> [n]`.
 * @module
 */
import { isMain, runChild } from "../lib/child.js";
import { clonedItems, rawWorkersContender } from "../lib/raw-workers.js";
import { loadSluiceThreads, threadsUnavailable } from "../lib/sluice.js";
import { jsonDocument } from "../lib/source.js";
import {
  PER_ITEM_WINDOW,
  THREADS,
  perItemPool,
  threadStageInfo,
  workerUrl,
} from "../lib/threads.js";
import countItems from "../workers/json-parse.worker.js";

const DOC_BYTES = 100 * 1024;
const SEED = 0x5eed8b;
/**
 * raw-workers: items per message (about 4 ms of work, as sluice's batches aim for), and
 * messages in flight per thread.
 */
const RAW_BATCH = 6;
const RAW_IN_FLIGHT = 2;
const JSON_WORKER = workerUrl("json-parse.worker.js");

/**
 * The input: the document `n` times, and the answer every item must give.
 * @param {number} n
 */
function prepare(n) {
  const doc = jsonDocument(DOC_BYTES, SEED);
  if (countItems(doc.text) !== doc.items) throw new Error("S8b: the document does not parse back");
  return {
    input: Array.from({ length: n }, () => doc.text),
    expected: new Uint32Array(n).fill(doc.items),
  };
}

/** Bare: a plain loop on the main thread. */
function mainThread(_n, _lib, sink, input) {
  for (const text of input) sink.add(countItems(text));
}

/** sluice: a `thread()` stage, unordered, its defaults (threads = CPU quota, adaptive batches). */
async function sluiceThread(_n, { from, thread }, sink, input) {
  const run = from(input)
    .map(thread(new URL("../workers/json-parse.worker.js", import.meta.url)), { ordered: false })
    .forEach((y) => {
      sink.add(y);
    })
    .run();
  await run.drain();
  return threadStageInfo(run);
}

/** @type {import("../lib/child.js").Scenario} */
export const scenario = {
  id: "S8b",
  title: `CPU-bound heavy items: JSON.parse of a 100 KiB document, 5k times, ${THREADS} threads`,
  file: import.meta.url,
  n: 5_000,
  quickN: 500,
  prepare,
  ordered: false,
  contenders: [
    { name: "main-thread", label: "main thread, plain loop", kind: "bare", run: mainThread },
    rawWorkersContender("raw-json.worker.js", {
      batch: RAW_BATCH,
      inFlight: RAW_IN_FLIGHT,
      encoding: clonedItems,
      how: "cloned",
    }),
    {
      name: "sluice-thread",
      label: "sluice thread() (unordered)",
      kind: "sluice",
      load: loadSluiceThreads,
      unavailable: threadsUnavailable,
      run: sluiceThread,
    },
    {
      name: "piscina-per-item",
      label: `piscina, one task per item (${PER_ITEM_WINDOW} in flight)`,
      kind: "peer",
      load: () => import("piscina"),
      run: perItemPool("Piscina", JSON_WORKER),
    },
    {
      name: "tinypool-per-item",
      label: `tinypool, one task per item (${PER_ITEM_WINDOW} in flight)`,
      kind: "peer",
      load: () => import("tinypool"),
      run: perItemPool("Tinypool", JSON_WORKER),
    },
  ],
  targets: [
    {
      label: "S8b sluice thread ≥ 1.7× the main thread alone",
      contender: "sluice-thread",
      vs: "main-thread",
      min: 1.7,
    },
    {
      label: "S8b sluice thread ≥ 1.00× the faster of piscina and tinypool",
      contender: "sluice-thread",
      vs: "fastest-peer",
      min: 1,
    },
  ],
};

if (isMain(import.meta.url)) await runChild(scenario);
