/**
 * S3 — I/O-bound: 20k items × a 5 ms timer (`await setTimeout(5)`), concurrency 256.
 * Little's law caps throughput at 256 / 0.005 s = 51,200 items/s.
 * Run one contender: `node bench/scenarios/s3-io.js <contender> [n]`.
 * @module
 */
import { isMain, runChild } from "../lib/child.js";
import { gen, sleepInc } from "../lib/source.js";
import { loadSluice } from "../lib/sluice.js";

const C = 256;

/** Bare limit: 256 async loops pulling from one shared iterator. */
async function sharedIteratorLoops(n, _lib, sink) {
  const it = gen(n);
  const worker = async () => {
    for (let r = it.next(); !r.done; r = it.next()) sink.add(await sleepInc(r.value));
  };
  await Promise.all(Array.from({ length: C }, worker));
}

/** sluice: unordered `map`, sync `forEach`, `drain()`. */
async function sluiceDrain(n, { from }, sink) {
  await from(gen(n))
    .map(sleepInc, { concurrency: C })
    .forEach((y) => {
      sink.add(y);
    })
    .run()
    .drain();
}

/** p-map (keeps results). */
async function pMapKeep(n, { default: pMap }, sink) {
  for (const y of await pMap(gen(n), sleepInc, { concurrency: C })) sink.add(y);
}

/** RxJS `mergeMap(f, 256)`. */
async function rxjsMergeMap(n, { from, mergeMap }, sink) {
  await from(gen(n))
    .pipe(mergeMap(sleepInc, C))
    .forEach((y) => sink.add(y));
}

/** p-queue: every item added up front, then `onIdle()`. */
async function pQueue(n, { default: PQueue }, sink) {
  const queue = new PQueue({ concurrency: C });
  const add = (y) => sink.add(y);
  for (const x of gen(n)) queue.add(() => sleepInc(x)).then(add);
  await queue.onIdle();
}

/** Effect: `Stream.mapEffect(f, { concurrency: 256, unordered: true })`. */
async function effectStream(n, { Effect, Stream }, sink) {
  const program = Stream.fromIterable(gen(n)).pipe(
    Stream.mapEffect((x) => Effect.promise(() => sleepInc(x)), { concurrency: C, unordered: true }),
    Stream.runForEach((y) => Effect.sync(() => sink.add(y))),
  );
  await Effect.runPromise(program);
}

/** p-limit: `limit.map(iterable, f)`. */
async function pLimit(n, { default: pLimit }, sink) {
  for (const y of await pLimit(C).map(gen(n), sleepInc)) sink.add(y);
}

/** @type {import("../lib/child.js").Scenario} */
export const scenario = {
  id: "S3",
  title: "I/O: 5 ms timer per item, concurrency 256 (Little's law: 51,200 items/s)",
  file: import.meta.url,
  n: 20_000,
  quickN: 2_000,
  offset: 1,
  ordered: false,
  littleLimit: C / 0.005,
  contenders: [
    {
      name: "256-loops",
      label: "256 async loops, one iterator",
      kind: "bare",
      run: sharedIteratorLoops,
    },
    {
      name: "sluice-drain",
      label: "sluice forEach + drain()",
      kind: "sluice",
      load: loadSluice,
      run: sluiceDrain,
    },
    {
      name: "p-map",
      label: "p-map (keeps results)",
      kind: "peer",
      load: () => import("p-map"),
      run: pMapKeep,
    },
    {
      name: "rxjs-mergeMap",
      label: "RxJS mergeMap(f, 256)",
      kind: "peer",
      load: () => import("rxjs"),
      run: rxjsMergeMap,
    },
    {
      name: "p-queue",
      label: "p-queue (all added up front)",
      kind: "peer",
      load: () => import("p-queue"),
      run: pQueue,
    },
    {
      name: "effect",
      label: "Effect Stream.mapEffect (unordered)",
      kind: "peer",
      load: () => import("effect"),
      run: effectStream,
    },
    {
      name: "p-limit",
      label: "p-limit (limit.map)",
      kind: "peer",
      load: () => import("p-limit"),
      run: pLimit,
    },
  ],
  targets: [
    {
      label: "S3 ≥ 98% of the bare 256-loop limit",
      contender: "sluice-drain",
      vs: "256-loops",
      min: 0.98,
    },
  ],
};

if (isMain(import.meta.url)) await runChild(scenario);
