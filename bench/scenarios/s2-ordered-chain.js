/**
 * S2 — ordered chain: three `async x => x + 1` maps, concurrency 8 each, outputs checked to
 * arrive in input order (except the RxJS mergeMap chain, labelled unordered).
 * Run one contender: `node bench/scenarios/s2-ordered-chain.js <contender> [n]`.
 * @module
 */
import { Readable } from "node:stream";
import { isMain, runChild } from "../lib/child.js";
import { gen, inc } from "../lib/source.js";
import { loadSluice } from "../lib/sluice.js";

const C = 8;
/** Items for the peers that schedule every item up front (p-limit, p-queue, fastq). */
const LOAD_ALL_N = 300_000;
const loadAllNote = "schedules every item up front (memory grows with n): run on 300k items";
/** RxJS gets fewer items: see {@link rxjsNote}. */
const RXJS_N = 100_000;
const rxjsNote =
  "run on 100k items: `from()` emits the whole sync iterable at once and the first operator " +
  "buffers it; the buffer's `shift()` makes this quadratic (concatMap ×3 on 1M took 95 s)";

/** Bare limit: one item at a time through the three functions. */
async function sequentialChain(n, _lib, sink) {
  for (const x of gen(n)) sink.add(await inc(await inc(await inc(x))));
}

/** sluice: three `map`s with `ordered: true`, a sync `forEach`, `drain()`. */
async function sluiceOrdered(n, { from }, sink) {
  const o = { concurrency: C, ordered: true };
  await from(gen(n))
    .map(inc, o)
    .map(inc, o)
    .map(inc, o)
    .forEach((y) => {
      sink.add(y);
    })
    .run()
    .drain();
}

/** p-map: `pMapIterable` chained three times (ordered by default). */
async function pMapIterableChain(n, { pMapIterable }, sink) {
  const o = { concurrency: C };
  const chain = pMapIterable(pMapIterable(pMapIterable(gen(n), inc, o), inc, o), inc, o);
  for await (const y of chain) sink.add(y);
}

/** RxJS `concatMap` ×3: ordered, one item at a time per stage (concatMap has no concurrency). */
async function rxjsConcatMap(n, { from, concatMap }, sink) {
  await from(gen(n))
    .pipe(concatMap(inc), concatMap(inc), concatMap(inc))
    .forEach((y) => sink.add(y));
}

/** RxJS `mergeMap(f, 8)` ×3: concurrent but NOT ordered (sum checked only). */
async function rxjsMergeMap(n, { from, mergeMap }, sink) {
  await from(gen(n))
    .pipe(mergeMap(inc, C), mergeMap(inc, C), mergeMap(inc, C))
    .forEach((y) => sink.add(y));
}

/** Node streams: `Readable.map` ×3 (ordered by default). */
async function readableMap(n, _lib, sink) {
  const o = { concurrency: C };
  for await (const y of Readable.from(gen(n)).map(inc, o).map(inc, o).map(inc, o)) sink.add(y);
}

/** Effect: `Stream.mapEffect` ×3 (ordered by default). */
async function effectStream(n, { Effect, Stream }, sink) {
  const step = Stream.mapEffect((x) => Effect.promise(() => inc(x)), { concurrency: C });
  const program = Stream.fromIterable(gen(n)).pipe(
    step,
    step,
    step,
    Stream.runForEach((y) => Effect.sync(() => sink.add(y))),
  );
  await Effect.runPromise(program);
}

/** p-limit: one limiter per stage, `Promise.all` of per-item chains. */
async function pLimitChain(n, { default: pLimit }, sink) {
  const [a, b, c] = [pLimit(C), pLimit(C), pLimit(C)];
  const chain = (x) =>
    a(inc, x)
      .then((y) => b(inc, y))
      .then((z) => c(inc, z));
  for (const y of await Promise.all(Array.from(gen(n), chain))) sink.add(y);
}

/** p-queue: one queue per stage, `Promise.all` of per-item chains. */
async function pQueueChain(n, { default: PQueue }, sink) {
  const [a, b, c] = [1, 2, 3].map(() => new PQueue({ concurrency: C }));
  const chain = (x) =>
    a
      .add(() => inc(x))
      .then((y) => b.add(() => inc(y)))
      .then((z) => c.add(() => inc(z)));
  for (const y of await Promise.all(Array.from(gen(n), chain))) sink.add(y);
}

/** fastq promise API: one queue per stage, `Promise.all` of per-item chains. */
async function fastqChain(n, { default: fastq }, sink) {
  const [a, b, c] = [1, 2, 3].map(() => fastq.promise(inc, C));
  const chain = (x) =>
    a
      .push(x)
      .then((y) => b.push(y))
      .then((z) => c.push(z));
  for (const y of await Promise.all(Array.from(gen(n), chain))) sink.add(y);
}

/** @type {import("../lib/child.js").Scenario} */
export const scenario = {
  id: "S2",
  title: "Ordered chain: 3 × `async x => x + 1`, concurrency 8 each, order verified",
  file: import.meta.url,
  n: 1_000_000,
  quickN: 20_000,
  offset: 3,
  ordered: true,
  contenders: [
    {
      name: "sequential-chain",
      label: "sequential `await f(await f(await f(x)))`",
      kind: "bare",
      run: sequentialChain,
    },
    {
      name: "sluice",
      label: "sluice map ×3 ordered",
      kind: "sluice",
      load: loadSluice,
      run: sluiceOrdered,
    },
    {
      name: "pMapIterable",
      label: "pMapIterable ×3",
      kind: "peer",
      load: () => import("p-map"),
      run: pMapIterableChain,
    },
    {
      name: "rxjs-concatMap",
      label: "RxJS concatMap ×3 (concurrency 1)",
      kind: "peer",
      load: () => import("rxjs"),
      run: rxjsConcatMap,
      n: RXJS_N,
      note: rxjsNote,
    },
    {
      name: "rxjs-mergeMap",
      label: "RxJS mergeMap(f, 8) ×3 — NOT ordered",
      kind: "peer",
      load: () => import("rxjs"),
      run: rxjsMergeMap,
      ordered: false,
      n: RXJS_N,
      note: rxjsNote,
    },
    { name: "readable-map", label: "Readable.map ×3", kind: "peer", run: readableMap },
    {
      name: "effect",
      label: "Effect mapEffect ×3",
      kind: "peer",
      load: () => import("effect"),
      run: effectStream,
    },
    {
      name: "p-limit",
      label: "p-limit ×3, Promise.all of chains",
      kind: "peer",
      load: () => import("p-limit"),
      run: pLimitChain,
      n: LOAD_ALL_N,
      note: loadAllNote,
    },
    {
      name: "p-queue",
      label: "p-queue ×3, Promise.all of chains",
      kind: "peer",
      load: () => import("p-queue"),
      run: pQueueChain,
      n: LOAD_ALL_N,
      note: loadAllNote,
    },
    {
      name: "fastq",
      label: "fastq.promise ×3, Promise.all of chains",
      kind: "peer",
      load: () => import("fastq"),
      run: fastqChain,
      n: LOAD_ALL_N,
      note: loadAllNote,
    },
  ],
  targets: [
    { label: "S2 ≥ 3× pMapIterable", contender: "sluice", vs: "pMapIterable", min: 3 },
    { label: "S2 ≥ 60% of bare chain", contender: "sluice", vs: "sequential-chain", min: 0.6 },
  ],
};

if (isMain(import.meta.url)) await runChild(scenario);
