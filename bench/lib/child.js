/**
 * The child side of the harness: a scenario file calls {@link runChild} when run as
 * `node bench/scenarios/<file>.js <contender> <n>`. It loads the contender's library and
 * builds the scenario's input when it has a `prepare` (both untimed), times one run over `n`
 * items, checks the outputs and prints one JSON line.
 * Exit code 0 when the check passes, 1 when it fails, 2 on bad arguments.
 * @module
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { KeyedSink, Sink } from "./sink.js";
import { expectedSum } from "./source.js";

/**
 * @typedef {object} Contender
 * @property {string} name slug used on the command line, e.g. `p-map`
 * @property {string} label shown in tables
 * @property {"bare" | "sluice" | "peer" | "info"} kind bare = a hand-written limit, no library
 * @property {(n: number, lib: any, sink: Sink, input: any) => Promise<Info | void> | Info | void} run
 *   the timed part; `input` is what the scenario's `prepare` built (undefined without one). What
 *   it returns, if anything, goes into the JSON line as `info` and under the table
 * @property {() => Promise<any>} [load] imports the library before timing starts
 * @property {() => string | undefined} [unavailable] why the contender cannot run here (e.g.
 *   `"skipped: dist/threads/index.js not built"`), checked by the runner before spawning it
 * @property {number} [n] items for a full run (default: the scenario's)
 * @property {number} [quickN] items for `--quick` (default: the scenario's)
 * @property {boolean} [ordered] override of the scenario's order check
 * @property {string} [note] shown under the table
 */

/**
 * Facts a contender learned during its run (e.g. the batch size a thread stage chose), as
 * JSON-able values; printed under the scenario's table.
 * @typedef {Record<string, unknown>} Info
 */

/**
 * What a scenario's `prepare` builds before timing starts.
 * @typedef {object} Prepared
 * @property {unknown} input handed to every contender's `run` as its 4th argument
 * @property {ArrayLike<number>} expected the key (see `Scenario.key`) output #i must have
 */

/**
 * @typedef {object} Scenario
 * @property {string} id e.g. `S1`
 * @property {string} title
 * @property {string} file `import.meta.url` of the scenario file
 * @property {number} n items for a full run
 * @property {number} quickN items for `--quick`
 * @property {number} [offset] each output is `input + offset` (scenarios without `prepare`)
 * @property {(n: number) => Prepared | Promise<Prepared>} [prepare] builds the input of `n`
 *   items and the expected outputs, untimed, before the run; the outputs are then checked by
 *   their `key` against `expected` instead of as `input + offset`
 * @property {(y: any) => number} [key] the number an output is summed and order-checked by
 *   (scenarios with `prepare`; default: the output itself)
 * @property {boolean} ordered whether outputs must keep input order
 * @property {number} [littleLimit] items/s allowed by Little's law (S3)
 * @property {boolean} [memory] report the RSS growth columns (S5)
 * @property {Contender[]} contenders
 * @property {import("./report.js").Target[]} [targets]
 */

/**
 * True when the module at `url` is the script node was started with.
 * @param {string} url `import.meta.url`
 */
export function isMain(url) {
  return process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === url;
}

/**
 * Runs one contender of `scenario` as this process's whole job.
 * @param {Scenario} scenario
 */
export async function runChild(scenario) {
  const [name, nArg] = process.argv.slice(2);
  const contender = scenario.contenders.find((c) => c.name === name);
  if (!contender) {
    const names = scenario.contenders.map((c) => c.name).join(", ");
    console.error(`usage: node ${process.argv[1]} <contender> [n]\ncontenders: ${names}`);
    process.exitCode = 2;
    return;
  }
  const n = nArg === undefined ? (contender.n ?? scenario.n) : Number(nArg);
  const ordered = contender.ordered ?? scenario.ordered;
  const lib = contender.load ? await contender.load() : undefined;
  // The input is built (and the expected outputs computed from it) before t0: only the
  // contender's work is timed, and every contender gets the same bytes.
  const prepared = scenario.prepare ? await scenario.prepare(n) : undefined;
  const sink = prepared
    ? new KeyedSink(n, scenario.key ?? ((y) => y), prepared.expected, ordered)
    : new Sink(n, scenario.offset ?? 0, ordered);
  const expected = prepared ? sumOf(prepared.expected, n) : expectedSum(n, scenario.offset ?? 0);
  // Collect what loading and preparing left behind, so that no contender's window pays for
  // it: S4's input hashing leaves up to 64k dead hashers in the young generation, whose native
  // halves take ~0.3 µs each to free, and whichever contender's allocations happened to set
  // off that collection paid up to 20 ms for it (sluice's thread stage most runs, raw
  // workers' hardly ever). The harness starts children with `--expose-gc`.
  collectGarbage();
  const rssStart = process.memoryUsage.rss();
  // Let the event loop turn once before timing: work the module loader left pending (file
  // handles, stats) then runs here, untimed, instead of in the first turn a contender yields.
  await new Promise((resolve) => setImmediate(resolve));

  let error;
  let info;
  const cpu0 = process.cpuUsage();
  const mainCpu0 = mainThreadCpuMs();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  try {
    info = await contender.run(n, lib, sink, prepared?.input);
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    console.error(e);
  }
  const ms = performance.now() - t0;
  // CPU of every thread of the process, and the main thread's share of the window it spent
  // busy: on 2 cores, main-thread work of a threaded contender is taken from its threads.
  const cpu = process.cpuUsage(cpu0);
  const mainCpu1 = mainThreadCpuMs();
  const elu = performance.eventLoopUtilization(elu0);

  const problems = [];
  if (error) problems.push(`threw: ${error}`);
  if (sink.count !== n) problems.push(`got ${sink.count} items, expected ${n}`);
  if (sink.sum !== expected) problems.push(`sum ${sink.sum}, expected ${expected}`);
  if (sink.firstDisorder >= 0) problems.push(`out of order at output #${sink.firstDisorder}`);
  const ok = problems.length === 0;

  const result = {
    scenario: scenario.id,
    contender: contender.name,
    items: n,
    ms,
    ok,
    problems,
    ordered,
    count: sink.count,
    sum: sink.sum,
    expected,
    rssStart,
    rss10: sink.rss10,
    rss100: sink.rss100,
    newSpace10: sink.newSpace10,
    newSpace100: sink.newSpace100,
    maxRssKb: process.resourceUsage().maxRSS,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainBusyMs: elu.active,
    ...(mainCpu0 !== undefined && mainCpu1 !== undefined ? { mainCpuMs: mainCpu1 - mainCpu0 } : {}),
    ...(info ? { info } : {}),
  };
  console.log(JSON.stringify(result));
  process.exitCode = ok ? 0 : 1;
  // A contender must let the process end by itself; if something still holds the event
  // loop open 5 s after the result, say so and exit 3 (this timer does not hold it open).
  setTimeout(() => {
    console.error(`${scenario.id}/${contender.name}: process did not exit by itself`);
    process.exit(3);
  }, 5000).unref();
}

/**
 * CPU time the main thread has run, in ms, from Linux's `/proc/self/task/<pid>/schedstat`
 * (nanoseconds); `undefined` elsewhere. Unlike the event loop's busy time, it leaves out the
 * time the thread was runnable but descheduled: with two threads and the main thread on two
 * cores, a busy main thread waits its turn often.
 * @returns {number | undefined}
 */
function mainThreadCpuMs() {
  try {
    return (
      Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]) / 1e6
    );
  } catch {
    return undefined;
  }
}

/** Whether the missing `--expose-gc` was reported already. */
let warnedNoGc = false;

/** A full collection when `gc` is exposed (`node --expose-gc`, as the harness runs children). */
function collectGarbage() {
  const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
  if (gc !== undefined) {
    gc();
    return;
  }
  if (warnedNoGc) return;
  warnedNoGc = true;
  console.error(
    "note: started without --expose-gc, so what preparing left behind is collected inside the timed window; run `node --expose-gc <scenario> …` to time as bench/run.js does",
  );
}

/**
 * Sum of the first `n` expected keys (exact below 2^53: 200k keys of 32 bits are ~2^50).
 * @param {ArrayLike<number>} keys
 * @param {number} n
 */
function sumOf(keys, n) {
  if (keys.length !== n) throw new Error(`prepare(${n}) gave ${keys.length} expected outputs`);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += keys[i];
  return sum;
}
