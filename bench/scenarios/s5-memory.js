/**
 * S5 — memory over a long run: peers map 5M items with an async no-op (identity),
 * concurrency 8; sluice runs 10M items through two such stages. Besides the kernel's peak
 * RSS, the sink samples `process.memoryUsage().rss` at 10% and 100% of the items, so the
 * table shows how much RSS grew over the last 90% of the run (flat = bounded memory).
 * Run one contender: `node bench/scenarios/s5-memory.js <contender> [n]`.
 * @module
 */
import { Readable } from "node:stream";
import { isMain, runChild } from "../lib/child.js";
import { gen, identity } from "../lib/source.js";
import { loadSluice } from "../lib/sluice.js";

const C = 8;

/** Bare baseline: 8 async loops pulling from one shared iterator (node's own footprint). */
async function sharedIteratorLoops(n, _lib, sink) {
  const it = gen(n);
  const worker = async () => {
    for (let r = it.next(); !r.done; r = it.next()) sink.add(await identity(r.value));
  };
  await Promise.all(Array.from({ length: C }, worker));
}

/** sluice: two unordered `map` stages, a sync `forEach`, `drain()`. */
async function sluiceTwoStages(n, { from }, sink) {
  await from(gen(n))
    .map(identity, { concurrency: C })
    .map(identity, { concurrency: C })
    .forEach((y) => {
      sink.add(y);
    })
    .run()
    .drain();
}

/** p-map's `pMapIterable` (bounded by its default `backpressure` = concurrency). */
async function pMapIterableRun(n, { pMapIterable }, sink) {
  for await (const y of pMapIterable(gen(n), identity, { concurrency: C })) sink.add(y);
}

/** p-map: keeps every result until the end. */
async function pMapKeep(n, { default: pMap }, sink) {
  for (const y of await pMap(gen(n), identity, { concurrency: C })) sink.add(y);
}

/** async (caolan): `eachLimit` with an async iteratee. */
async function asyncEachLimit(n, { eachLimit }, sink) {
  await eachLimit(gen(n), C, async (x) => {
    sink.add(await identity(x));
  });
}

/** Node streams: `Readable.from(gen).map(f, { concurrency: 8 })`. */
async function readableMap(n, _lib, sink) {
  for await (const y of Readable.from(gen(n)).map(identity, { concurrency: C })) sink.add(y);
}

/** Effect: `Stream.mapEffect(f, { concurrency: 8 })` (ordered; see the note). */
async function effectStream(n, { Effect, Stream }, sink) {
  const program = Stream.fromIterable(gen(n)).pipe(
    Stream.mapEffect((x) => Effect.promise(() => identity(x)), { concurrency: C }),
    Stream.runForEach((y) => Effect.sync(() => sink.add(y))),
  );
  await Effect.runPromise(program);
}

/** @type {import("../lib/child.js").Scenario} */
export const scenario = {
  id: "S5",
  title: "Memory: async identity, concurrency 8; peers 5M items, sluice 10M items × 2 stages",
  file: import.meta.url,
  n: 5_000_000,
  quickN: 200_000,
  offset: 0,
  ordered: false,
  memory: true,
  contenders: [
    {
      name: "8-loops",
      label: "8 async loops, one iterator (baseline)",
      kind: "bare",
      run: sharedIteratorLoops,
    },
    {
      name: "sluice-2-stages",
      label: "sluice map → map → forEach, drain()",
      kind: "sluice",
      load: loadSluice,
      run: sluiceTwoStages,
      n: 10_000_000,
      quickN: 400_000,
    },
    {
      name: "pMapIterable",
      label: "pMapIterable",
      kind: "peer",
      load: () => import("p-map"),
      run: pMapIterableRun,
    },
    {
      name: "p-map",
      label: "p-map (keeps results)",
      kind: "peer",
      load: () => import("p-map"),
      run: pMapKeep,
    },
    {
      name: "async-eachLimit",
      label: "async eachLimit",
      kind: "peer",
      load: () => import("async"),
      run: asyncEachLimit,
    },
    { name: "readable-map", label: "Readable.from().map()", kind: "peer", run: readableMap },
    {
      name: "effect",
      label: "Effect Stream.mapEffect (ordered)",
      kind: "peer",
      load: () => import("effect"),
      run: effectStream,
      n: 2_000_000,
      note: "run on 2M items (5M took 26 s); ordered, because the unordered mode held ~1 GB at 1M items in S1",
    },
  ],
  targets: [
    {
      label: "S5 sluice RSS growth 10% → 100% < 5 MB",
      contender: "sluice-2-stages",
      metric: "rssGrowthMb",
      max: 5,
      strict: true,
    },
    {
      label: "S5 sluice peak RSS ≤ 70 MB",
      contender: "sluice-2-stages",
      metric: "peakRssMb",
      max: 70,
    },
  ],
};

if (isMain(import.meta.url)) await runChild(scenario);
