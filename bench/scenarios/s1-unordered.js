/**
 * S1 — unordered map: 1M items × `async x => x + 1`, concurrency 8, outputs summed.
 * Run one contender: `node bench/scenarios/s1-unordered.js <contender> [n]`.
 * @module
 */
import { Readable } from "node:stream";
import { isMain, runChild } from "../lib/child.js";
import { gen, inc } from "../lib/source.js";
import { loadSluice } from "../lib/sluice.js";

const C = 8;
/** RxJS gets fewer items: see {@link rxjsNote}. */
const RXJS_N = 100_000;
const rxjsNote =
  "run on 100k items: `from()` emits the whole sync iterable at once and mergeMap buffers it; " +
  "the buffer's `shift()` makes this quadratic (1M items took 85 s on the 2-core dev box)";

/** Bare limit: one item at a time, `sum += await f(x)`. */
async function sequentialAwait(n, _lib, sink) {
  for (const x of gen(n)) sink.add(await inc(x));
}

/** Bare limit: 8 async loops pulling from one shared iterator. */
async function sharedIteratorLoops(n, _lib, sink) {
  const it = gen(n);
  const worker = async () => {
    for (let r = it.next(); !r.done; r = it.next()) sink.add(await inc(r.value));
  };
  await Promise.all(Array.from({ length: C }, worker));
}

/** Bare limit: `for await` over an async generator that awaits `f(x)` per item. */
async function forAwaitAsyncGenerator(n, _lib, sink) {
  async function* mapped() {
    for (const x of gen(n)) yield await inc(x);
  }
  for await (const y of mapped()) sink.add(y);
}

/** sluice consumed by a sync `forEach` stage and `drain()`. */
async function sluiceDrain(n, { from }, sink) {
  await from(gen(n))
    .map(inc, { concurrency: C })
    .forEach((y) => {
      sink.add(y);
    })
    .run()
    .drain();
}

/** sluice with an adaptive width: `aimd()` from 1 up to 8, consumed as sluice-drain is. */
async function sluiceAimd(n, { from, aimd }, sink) {
  await from(gen(n))
    .map(inc, { concurrency: aimd({ min: 1, max: C }) })
    .forEach((y) => {
      sink.add(y);
    })
    .run()
    .drain();
}

/** sluice with `timeout: "10s"` (never firing), consumed as sluice-drain is. */
async function sluiceTimeout(n, { from }, sink) {
  await from(gen(n))
    .map(inc, { concurrency: C, timeout: "10s" })
    .forEach((y) => {
      sink.add(y);
    })
    .run()
    .drain();
}

/**
 * sluice drain with `run({ metrics: true })`: one call in 16 timed per stage (processing and
 * queue time), the event-loop delay monitored, and a snapshot taken every 100 ms as a
 * dashboard would.
 */
async function sluiceMetrics(n, { from }, sink) {
  const run = from(gen(n))
    .map(inc, { concurrency: C })
    .forEach((y) => {
      sink.add(y);
    })
    .run({ metrics: true });
  run.onMetrics(() => {}, { every: 100 });
  await run.drain();
}

/** sluice consumed by `for await` over the run. */
async function sluiceForAwait(n, { from }, sink) {
  for await (const y of from(gen(n)).map(inc, { concurrency: C }).run()) sink.add(y);
}

/** async (caolan): `eachLimit` with an async iteratee. */
async function asyncEachLimit(n, { eachLimit }, sink) {
  await eachLimit(gen(n), C, async (x) => {
    sink.add(await inc(x));
  });
}

/** p-map: collects every result into an array, then we sum it. */
async function pMapKeep(n, { default: pMap }, sink) {
  const out = await pMap(gen(n), inc, { concurrency: C });
  for (const y of out) sink.add(y);
}

/** p-map's `pMapIterable` with `preserveOrder: false` (its unordered mode). */
async function pMapIterableUnordered(n, { pMapIterable }, sink) {
  for await (const y of pMapIterable(gen(n), inc, { concurrency: C, preserveOrder: false })) {
    sink.add(y);
  }
}

/** RxJS: `from(iterable)` piped through `mergeMap(f, 8)`. */
async function rxjsMergeMap(n, { from, mergeMap }, sink) {
  await from(gen(n))
    .pipe(mergeMap(inc, C))
    .forEach((y) => sink.add(y));
}

/** p-queue: one task per item added up front, then `onIdle()`. */
async function pQueue(n, { default: PQueue }, sink) {
  const queue = new PQueue({ concurrency: C });
  const add = (y) => sink.add(y);
  for (const x of gen(n)) queue.add(() => inc(x)).then(add);
  await queue.onIdle();
}

/** p-limit: `limit.map(iterable, f)` (= `Promise.all` over every limited call). */
async function pLimit(n, { default: pLimit }, sink) {
  const limit = pLimit(C);
  const out = await limit.map(gen(n), inc);
  for (const y of out) sink.add(y);
}

/** fastq promise API: push every item, sum as each resolves, then `drained()`. */
async function fastqPromise(n, { default: fastq }, sink) {
  const queue = fastq.promise(inc, C);
  const add = (y) => sink.add(y);
  for (const x of gen(n)) queue.push(x).then(add);
  await queue.drained();
}

/** Node streams: `Readable.from(gen).map(f, { concurrency: 8 })` (ordered; no unordered mode). */
async function readableMap(n, _lib, sink) {
  for await (const y of Readable.from(gen(n)).map(inc, { concurrency: C })) sink.add(y);
}

/** Effect: `Stream.mapEffect(f, { concurrency: 8, unordered: true })`, `runForEach`. */
async function effectStream(n, { Effect, Stream }, sink) {
  const program = Stream.fromIterable(gen(n)).pipe(
    Stream.mapEffect((x) => Effect.promise(() => inc(x)), { concurrency: C, unordered: true }),
    Stream.runForEach((y) => Effect.sync(() => sink.add(y))),
  );
  await Effect.runPromise(program);
}

/** @type {import("../lib/child.js").Scenario} */
export const scenario = {
  id: "S1",
  title: "Unordered map: `async x => x + 1`, concurrency 8",
  file: import.meta.url,
  n: 1_000_000,
  quickN: 20_000,
  offset: 1,
  ordered: false,
  contenders: [
    {
      name: "sequential-await",
      label: "sequential `await` loop",
      kind: "bare",
      run: sequentialAwait,
    },
    {
      name: "8-loops",
      label: "8 async loops, one iterator",
      kind: "bare",
      run: sharedIteratorLoops,
    },
    {
      name: "for-await-agen",
      label: "`for await` over async generator",
      kind: "bare",
      run: forAwaitAsyncGenerator,
    },
    {
      name: "sluice-drain",
      label: "sluice forEach + drain()",
      kind: "sluice",
      load: loadSluice,
      run: sluiceDrain,
    },
    {
      name: "sluice-aimd",
      label: "sluice forEach + drain(), aimd({ min: 1, max: 8 })",
      kind: "sluice",
      load: loadSluice,
      run: sluiceAimd,
    },
    {
      name: "sluice-timeout",
      label: 'sluice forEach + drain(), timeout: "10s"',
      kind: "sluice",
      load: loadSluice,
      run: sluiceTimeout,
    },
    {
      name: "sluice-metrics",
      label: "sluice forEach + drain(), metrics on",
      kind: "sluice",
      load: loadSluice,
      run: sluiceMetrics,
    },
    {
      name: "sluice-for-await",
      label: "sluice `for await`",
      kind: "sluice",
      load: loadSluice,
      run: sluiceForAwait,
    },
    {
      name: "async-eachLimit",
      label: "async eachLimit",
      kind: "peer",
      load: () => import("async"),
      run: asyncEachLimit,
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
      label: "RxJS mergeMap(f, 8)",
      kind: "peer",
      load: () => import("rxjs"),
      run: rxjsMergeMap,
      n: RXJS_N,
      note: rxjsNote,
    },
    {
      name: "p-queue",
      label: "p-queue (all added up front)",
      kind: "peer",
      load: () => import("p-queue"),
      run: pQueue,
    },
    {
      name: "p-limit",
      label: "p-limit (limit.map)",
      kind: "peer",
      load: () => import("p-limit"),
      run: pLimit,
    },
    {
      name: "fastq",
      label: "fastq.promise",
      kind: "peer",
      load: () => import("fastq"),
      run: fastqPromise,
    },
    {
      name: "readable-map",
      label: "Readable.from().map() (ordered)",
      kind: "peer",
      run: readableMap,
    },
    {
      name: "effect",
      label: "Effect Stream.mapEffect (unordered)",
      kind: "peer",
      load: () => import("effect"),
      run: effectStream,
    },
  ],
  targets: [
    {
      label: "S1 drain ≥ 1.5× fastest peer",
      contender: "sluice-drain",
      vs: "fastest-peer",
      min: 1.5,
    },
    {
      label: "S1 drain ≥ 70% of sequential await loop",
      contender: "sluice-drain",
      vs: "sequential-await",
      min: 0.7,
    },
    {
      label: "S1 aimd() stage ≥ 70% of the static stage",
      contender: "sluice-aimd",
      vs: "sluice-drain",
      min: 0.7,
    },
    {
      label: 'S1 timeout: "10s" stage ≥ 70% of the stage without',
      contender: "sluice-timeout",
      vs: "sluice-drain",
      min: 0.7,
    },
    {
      label: "S1 metrics on ≥ 90% of the run without",
      contender: "sluice-metrics",
      vs: "sluice-drain",
      min: 0.9,
    },
    {
      label: "S1 for-await ≥ 80% of bare for-await loop",
      contender: "sluice-for-await",
      vs: "for-await-agen",
      min: 0.8,
    },
  ],
};

if (isMain(import.meta.url)) await runChild(scenario);
