/**
 * S7 — per-call signal: 200k items × a 0 ms timer given `ctx.signal`
 * (`await setTimeout(0, undefined, { signal: ctx.signal })`), concurrency 64, against the
 * same pipeline without the signal and against 10× the items with it. Every timer adds an
 * abort listener to the signal it is given; if those listeners pile up on one run-wide
 * signal, the cost per item grows with the run, so the targets compare the signal with no
 * signal (≤ 1.5× the time) and 2M items with 200k (≤ 12× the time).
 * Run one contender: `node bench/scenarios/s7-signal.js <contender> [n]`.
 * @module
 */
import { isMain, runChild } from "../lib/child.js";
import { gen, tickInc, tickIncSignal } from "../lib/source.js";
import { loadSluice } from "../lib/sluice.js";

const C = 64;

/** Bare baseline: 64 async loops sharing one iterator, a timer without a signal. */
async function sharedIteratorLoops(n, _lib, sink) {
  const it = gen(n);
  const worker = async () => {
    for (let r = it.next(); !r.done; r = it.next()) sink.add(await tickInc(r.value));
  };
  await Promise.all(Array.from({ length: C }, worker));
}

/** Bare baseline: the same 64 loops, each timer given a fresh `AbortController`'s signal. */
async function sharedIteratorLoopsSignal(n, _lib, sink) {
  const it = gen(n);
  const worker = async () => {
    for (let r = it.next(); !r.done; r = it.next()) {
      sink.add(await tickIncSignal(r.value, { signal: new AbortController().signal }));
    }
  };
  await Promise.all(Array.from({ length: C }, worker));
}

/**
 * sluice: unordered `map` of `fn`, sync `forEach`, `drain()`.
 * @param {(x: number, ctx: { signal: AbortSignal }) => Promise<number>} fn
 */
function sluiceDrain(fn) {
  return async (n, { from }, sink) => {
    await from(gen(n))
      .map(fn, { concurrency: C })
      .forEach((y) => {
        sink.add(y);
      })
      .run()
      .drain();
  };
}

/** @type {import("../lib/child.js").Scenario} */
export const scenario = {
  id: "S7",
  title: "Per-call signal: 0 ms timer with `ctx.signal`, concurrency 64",
  file: import.meta.url,
  n: 200_000,
  quickN: 20_000,
  offset: 1,
  ordered: false,
  contenders: [
    {
      name: "64-loops",
      label: "64 async loops, one iterator, timer without signal",
      kind: "bare",
      run: sharedIteratorLoops,
    },
    {
      name: "64-loops-signal",
      label: "64 async loops, one iterator, AbortController per call",
      kind: "bare",
      run: sharedIteratorLoopsSignal,
    },
    {
      name: "sluice-signal",
      label: "sluice map + ctx.signal timer, 200k",
      kind: "sluice",
      load: loadSluice,
      run: sluiceDrain(tickIncSignal),
    },
    {
      name: "sluice-no-signal",
      label: "sluice map, timer without signal, 200k",
      kind: "sluice",
      load: loadSluice,
      run: sluiceDrain(tickInc),
    },
    {
      name: "sluice-signal-2m",
      label: "sluice map + ctx.signal timer, 2M",
      kind: "sluice",
      load: loadSluice,
      run: sluiceDrain(tickIncSignal),
      n: 2_000_000,
      quickN: 200_000,
    },
  ],
  targets: [
    {
      label: "S7 signal ≤ 1.5× the cost of no signal",
      contender: "sluice-signal",
      vs: "sluice-no-signal",
      maxTime: 1.5,
    },
    {
      label: "S7 10× items ≤ 12× time",
      contender: "sluice-signal-2m",
      vs: "sluice-signal",
      maxTime: 12,
    },
  ],
};

if (isMain(import.meta.url)) await runChild(scenario);
