/**
 * S6 — sync function: 1M items × `x => x + 1`, concurrency 8. sluice calls a sync function
 * without a promise per item; the peers wrap it in promises (their only way to run it).
 * Run one contender: `node bench/scenarios/s6-sync.js <contender> [n]`.
 * @module
 */
import { Readable } from "node:stream";
import { isMain, runChild } from "../lib/child.js";
import { gen, incSync } from "../lib/source.js";
import { loadSluice } from "../lib/sluice.js";

const C = 8;
/** The sync function wrapped in a promise, for the peers that need one. */
const incAsync = async (x) => incSync(x);

/** Bare limit: a plain sync loop. */
function syncLoop(n, _lib, sink) {
  for (const x of gen(n)) sink.add(incSync(x));
}

/** sluice with the sync function (its no-promise fast path). */
async function sluiceSync(n, { from }, sink) {
  await from(gen(n))
    .map(incSync, { concurrency: C })
    .forEach((y) => {
      sink.add(y);
    })
    .run()
    .drain();
}

/** p-map with the sync mapper (p-map awaits each result). */
async function pMapKeep(n, { default: pMap }, sink) {
  for (const y of await pMap(gen(n), incSync, { concurrency: C })) sink.add(y);
}

/** `pMapIterable` with the sync mapper, `preserveOrder: false`. */
async function pMapIterableUnordered(n, { pMapIterable }, sink) {
  for await (const y of pMapIterable(gen(n), incSync, { concurrency: C, preserveOrder: false })) {
    sink.add(y);
  }
}

/** RxJS `mergeMap(async f, 8)`, for parity with the other concurrent peers. */
async function rxjsMergeMap(n, { from, mergeMap }, sink) {
  await from(gen(n))
    .pipe(mergeMap(incAsync, C))
    .forEach((y) => sink.add(y));
}

/** RxJS plain `map` (sync, no concurrency): for reference only, not a concurrent peer. */
async function rxjsMap(n, { from, map }, sink) {
  await from(gen(n))
    .pipe(map(incSync))
    .forEach((y) => sink.add(y));
}

/** async (caolan): `eachLimit` with the function wrapped in an async iteratee. */
async function asyncEachLimit(n, { eachLimit }, sink) {
  await eachLimit(gen(n), C, async (x) => {
    sink.add(incSync(x));
  });
}

/** Node streams: `Readable.map` with the sync function (it awaits each result). */
async function readableMap(n, _lib, sink) {
  for await (const y of Readable.from(gen(n)).map(incSync, { concurrency: C })) sink.add(y);
}

/** @type {import("../lib/child.js").Scenario} */
export const scenario = {
  id: "S6",
  title: "Sync function: `x => x + 1`, concurrency 8",
  file: import.meta.url,
  n: 1_000_000,
  quickN: 20_000,
  offset: 1,
  ordered: false,
  contenders: [
    { name: "sync-loop", label: "sync `for…of` loop", kind: "bare", run: syncLoop },
    {
      name: "sluice-sync",
      label: "sluice map(sync fn) + forEach, drain()",
      kind: "sluice",
      load: loadSluice,
      run: sluiceSync,
    },
    {
      name: "p-map",
      label: "p-map (keeps results)",
      kind: "peer",
      load: () => import("p-map"),
      run: pMapKeep,
    },
    {
      name: "pMapIterable",
      label: "pMapIterable (preserveOrder: false)",
      kind: "peer",
      load: () => import("p-map"),
      run: pMapIterableUnordered,
    },
    {
      name: "rxjs-mergeMap",
      label: "RxJS mergeMap(async f, 8)",
      kind: "peer",
      load: () => import("rxjs"),
      run: rxjsMergeMap,
      n: 100_000,
      note: "run on 100k items: mergeMap buffers the sync source and its `shift()` is quadratic (see S1)",
    },
    {
      name: "rxjs-map",
      label: "RxJS map(f) — sync, no concurrency (reference)",
      kind: "info",
      load: () => import("rxjs"),
      run: rxjsMap,
    },
    {
      name: "async-eachLimit",
      label: "async eachLimit (async iteratee)",
      kind: "peer",
      load: () => import("async"),
      run: asyncEachLimit,
    },
    { name: "readable-map", label: "Readable.from().map()", kind: "peer", run: readableMap },
  ],
  targets: [
    { label: "S6 ≥ 40% of bare sync loop", contender: "sluice-sync", vs: "sync-loop", min: 0.4 },
  ],
};

if (isMain(import.meta.url)) await runChild(scenario);
