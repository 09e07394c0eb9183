/**
 * One run of W1 (high-variance items on threads): `node bench/stealing/mix.js <contender>`.
 * 1,000 items of 1 ms and 2 of 1,000 ms (the seeds' 10 ms / 10 s mix, 100× shorter), all
 * ready at once, on the benchmark's thread count. Prints JSON: each item's completion time
 * from the start (p50, p99, max) and the time to the last one. Contenders: `sluice` (a
 * `thread()` map, its batches adaptive, idle threads stealing what waits behind a long call)
 * and `piscina` (one task per item: a single shared queue, the latency reference).
 * @module
 */
import { loadSluice, loadSluiceThreads } from "../lib/sluice.js";
import { inFlight, PER_ITEM_WINDOW, THREADS, workerUrl } from "../lib/threads.js";

export const FAST_MS = 1;
export const SLOW_MS = 1_000;
export const ITEMS = 1_000;
/** Where the long items sit among the short ones. */
const SLOW_AT = new Set([100, 600]);

const items = [];
for (let i = 0; i < ITEMS + SLOW_AT.size; i++) items.push(SLOW_AT.has(i) ? SLOW_MS : FAST_MS);

const contenders = {
  async sluice(done) {
    const { from } = await loadSluice();
    const { thread } = await loadSluiceThreads();
    const summary = await from(items)
      .map(thread(workerUrl("spin.worker.js"), { threads: THREADS }))
      .forEach(done)
      .run();
    return summary.stages[0].threads.stolen;
  },
  async piscina(done) {
    const { Piscina } = await import("piscina");
    const pool = new Piscina({
      filename: workerUrl("spin.worker.js").href,
      minThreads: THREADS,
      maxThreads: THREADS,
    });
    await inFlight(items, PER_ITEM_WINDOW, async (ms) => done(await pool.run(ms)));
    await pool.destroy();
  },
};

const name = process.argv[2] ?? "sluice";
const times = [];
const started = performance.now();
const stolen = await contenders[name](() => times.push(performance.now() - started));
const total = performance.now() - started;
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(times.length * q))];
process.stdout.write(
  `${JSON.stringify({
    contender: name,
    ok: times.length === items.length,
    items: times.length,
    p50: at(0.5),
    p99: at(0.99),
    max: times.at(-1),
    total,
    ...(stolen === undefined ? {} : { stolen }),
  })}\n`,
);
