import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { from, type Sink, type StageContext } from "../index.js";
import { parseDuration } from "../internal/duration.js";
import { retry } from "../policy/retry.js";
import { timeout } from "../policy/timeout.js";
import { wrap } from "../policy/wrap.js";
import { chaos, chaosDefaults, type ChaosOptions, type ChaosPolicy } from "../testing/chaos.js";

/** What the demo's command line controls. */
export interface DemoSettings {
  /** Records to generate: integer >= 1. */
  readonly items: number;
  /** Width of the I/O-bound `fetch` stage, validated by the library. */
  readonly concurrency: number | "cpus";
  /** A record id that makes the fail-fast `validate` stage throw, to show a failed run. */
  readonly failAt?: number | undefined;
  /**
   * Chaos in `fetch`: each call goes through `wrap(retry, timeout, chaos(options))` (see
   * {@link demoResilience}), so injected failures are retried and hangs timed out. Validated by
   * `chaos()`. Default: no chaos, and `fetch` runs as it is.
   */
  readonly chaos?: ChaosOptions | undefined;
}

/** A generated record; `value` is a hash of `id`, so every run sees the same data. */
export interface DemoRecord {
  readonly id: number;
  readonly value: number;
}

/** A record after `enrich`: `seq` is its position in enrich's input. */
export interface EnrichedRecord extends DemoRecord {
  readonly seq: number;
}

/**
 * What the demo's own stage functions saw. The run's summary counts items; this says
 * things only the data can tell: whether order held, and what was written.
 */
export interface DemoTally {
  /** Records the `fetch` dead letter received. */
  deadLetters: number;
  /** The first dead letter's error message. */
  firstDeadLetter: string | undefined;
  /** Records that reached `validate` after a record with a higher id: fetch's completion order. */
  overtaken: number;
  /** Records that finished inside `enrich` after a later record did. */
  finishedLate: number;
  /** The first out-of-order record the writer saw, described; undefined while order holds. */
  orderBroken: string | undefined;
  /** Batches and records the writer consumed, and a checksum of their values. */
  batches: number;
  written: number;
  checksum: number;
}

/** What `--chaos` did to `fetch`, for the report. */
export interface DemoChaos {
  /** The chaos policy around fetch; its counts are live. */
  readonly policy: ChaosPolicy;
  /** Its settings, resolved: rates, latency range in ms, seed. */
  readonly failRate: number;
  readonly hangRate: number;
  readonly latency: readonly [min: number, max: number];
  readonly seed: number;
  /** The retry and timeout around it: attempts in all, base backoff and per-attempt timeout, ms. */
  readonly attempts: number;
  readonly backoffMs: number;
  readonly timeoutMs: number;
  /** Records fetch handed to the policies (each one's first attempt). */
  records: number;
  /** Records skipped that would have passed without chaos: every attempt failed or hung. */
  skipped: number;
}

/** A built demo: the pipeline to run and the tally its stage functions keep. */
export interface Demo {
  readonly pipeline: Sink;
  readonly tally: DemoTally;
  /** What `--chaos` did; absent without it. */
  readonly chaos?: DemoChaos;
}

/** The demo's shape in numbers, shown in the intro so the output can be read against it. */
export const demoShape = Object.freeze({
  /** 1 in `slowEvery` records waits 1–5 ms in `fetch`, like a slow HTTP call. */
  slowEvery: 20,
  /** 1 in `failEvery` records fails in `fetch` and goes to its dead letter. */
  failEvery: 1_000,
  /** 1 in `dropEvery` records (by value) is dropped by `validate`. */
  dropEvery: 10,
  /** 1 in `enrichSlowEvery` records waits 1–2 ms in the ordered `enrich` stage. */
  enrichSlowEvery: 1_000,
  enrichConcurrency: 16,
  batchSize: 500,
  batchMaxWait: "50ms",
});

/**
 * `sluice demo --chaos` with no spec: a flaky, slow dependency that sometimes hangs. The
 * latency is fetch's own slow-record range; 1–20 ms made a 200,000-record run take 40 s.
 */
export const demoChaosDefaults = Object.freeze({
  failRate: 0.05,
  hangRate: 0.001,
  latency: Object.freeze([1, 5] as const),
  seed: 1,
});

/**
 * The retry and timeout `fetch` gets with `--chaos`, written out here while stages have no
 * retry or timeout options of their own: 3 attempts with a 5 ms full-jitter backoff, each
 * attempt timed out after the chaos latency's maximum plus `timeoutSlack` ms (fetch's own
 * slow records take up to 5 ms more; the rest is room for a busy event loop).
 */
export const demoResilience = Object.freeze({ attempts: 3, backoff: 5, timeoutSlack: 100 });

/** Knuth-style multiplicative hash: cheap, deterministic, spreads ids over 32 bits. */
function hash(id: number): number {
  return Math.imul(id ^ (id >>> 16), 0x45d9f3b) >>> 0;
}

/**
 * Builds the demo: generated records → `fetch` (map, wide, unordered, simulated latency,
 * a few failures skipped to a dead letter) → `validate` (filter, fail-fast) → `enrich`
 * (map, ordered)
 * → `batch` (500 or 50 ms) → `write` (forEach, one writer that checks order and sums).
 *
 * Everything is derived from the record id, so two runs write the same records with the
 * same checksum, whatever the concurrency. Latency waits on `ctx.signal`, so a cancelled
 * run stops at once.
 *
 * With `settings.chaos`, fetch runs under `wrap(retry, timeout, chaos)` and the records chaos
 * costs are skipped to the dead letter too; which ones depends on the order calls reach the
 * policy, so the checksum then varies from run to run.
 *
 * @throws {InvalidOptionError} when `settings.concurrency` is not a valid width, or
 *   `settings.chaos` is not valid `chaos()` options.
 */
export function demoPipeline(settings: DemoSettings): Demo {
  const shape = demoShape;
  const tally: DemoTally = {
    deadLetters: 0,
    firstDeadLetter: undefined,
    overtaken: 0,
    finishedLate: 0,
    orderBroken: undefined,
    batches: 0,
    written: 0,
    checksum: 0,
  };
  let highestId = -1;
  let highestFinished = -1;
  let expectedSeq = 0;

  // The --fail-at record is spared here so that it reaches the fail-fast stage.
  const failsUpstream = (record: DemoRecord): boolean =>
    record.id % shape.failEvery === shape.failEvery - 1 && record.id !== settings.failAt;

  // Takes only the signal of a StageContext, so that --chaos can hand it each attempt's own.
  const fetch = (
    record: DemoRecord,
    ctx: Pick<StageContext, "signal">,
  ): DemoRecord | Promise<DemoRecord> => {
    if (failsUpstream(record)) {
      throw new Error(`record ${record.id}: upstream answered 503`);
    }
    // Most records answer synchronously (no promise at all); the slow ones show fan-out.
    if (record.id % shape.slowEvery !== 7) return record;
    allowListeners(ctx.signal);
    const ms = 1 + ((record.value >>> 8) % 5);
    return sleep(ms, record, { signal: ctx.signal });
  };

  const validate = (record: DemoRecord): boolean => {
    if (record.id === settings.failAt) {
      throw new Error(`record ${record.id} failed on purpose (--fail-at ${settings.failAt})`);
    }
    if (record.id < highestId) tally.overtaken++;
    else highestId = record.id;
    return record.value % shape.dropEvery !== 0;
  };

  const enrich = (
    record: DemoRecord,
    ctx: StageContext,
  ): EnrichedRecord | Promise<EnrichedRecord> => {
    // ctx is reused by the slot's next call: copy the index before any await.
    const enriched = { ...record, seq: ctx.index };
    const finish = (): EnrichedRecord => {
      if (enriched.seq < highestFinished) tally.finishedLate++;
      else highestFinished = enriched.seq;
      return enriched;
    };
    if (record.id % shape.enrichSlowEvery !== 3) return finish();
    allowListeners(ctx.signal);
    return sleep(1 + (record.value % 2), undefined, { signal: ctx.signal }).then(finish);
  };

  const write = (batch: EnrichedRecord[]): void => {
    tally.batches++;
    for (const record of batch) {
      // enrich is ordered and drops nothing, so its outputs must arrive as 0, 1, 2, ...
      if (record.seq !== expectedSeq && tally.orderBroken === undefined) {
        tally.orderBroken = `expected enrich output #${expectedSeq}, got #${record.seq}`;
      }
      expectedSeq = record.seq + 1;
      tally.written++;
      tally.checksum = (tally.checksum + record.value) >>> 0;
    }
  };

  const demoChaos = settings.chaos === undefined ? undefined : chaosReport(settings.chaos);
  const pipeline = from(() => records(settings.items))
    .map(demoChaos === undefined ? fetch : withChaos(fetch, demoChaos, settings.failAt), {
      name: "fetch",
      concurrency: settings.concurrency,
      onError: "skip",
      deadLetter: (record, error) => {
        tally.deadLetters++;
        tally.firstDeadLetter ??= error instanceof Error ? error.message : String(error);
        // A record that fails upstream anyway may meet chaos on its last attempt: not chaos's.
        if (demoChaos !== undefined && !failsUpstream(record)) demoChaos.skipped++;
      },
    })
    .filter(validate, { name: "validate" })
    .map(enrich, { name: "enrich", ordered: true, concurrency: shape.enrichConcurrency })
    .batch({ name: "batch", size: shape.batchSize, maxWait: shape.batchMaxWait })
    // One writer: batches are written in the order they were made, like rows in a file.
    .forEach(write, { name: "write", concurrency: 1 });
  return demoChaos === undefined ? { pipeline, tally } : { pipeline, tally, chaos: demoChaos };
}

/** Builds the chaos policy (validating `options`) and what the report says about it. */
function chaosReport(options: ChaosOptions): DemoChaos {
  const policy = chaos(options);
  const latency = options.latency ?? chaosDefaults.latency;
  // chaos() accepted it, so every part parses.
  const [min, max] = (Array.isArray(latency) ? latency : [latency, latency]).map(
    (each: unknown) => parseDuration(each) ?? 0,
  ) as [number, number];
  return {
    policy,
    failRate: options.failRate ?? chaosDefaults.failRate,
    hangRate: options.hangRate ?? chaosDefaults.hangRate,
    latency: [min, max],
    seed: options.seed ?? chaosDefaults.seed,
    attempts: demoResilience.attempts,
    backoffMs: demoResilience.backoff,
    timeoutMs: max + demoResilience.timeoutSlack,
    records: 0,
    skipped: 0,
  };
}

/**
 * `fetch` behind `wrap(retry, timeout, chaos)`: chaos fails, delays or hangs each attempt,
 * the timeout ends a hang (its signal aborts the hung call), and the retry tries again. The
 * `--fail-at` record goes around the policies, so that chaos cannot keep it from the stage
 * that is to fail on it.
 */
function withChaos(
  fetch: (
    record: DemoRecord,
    ctx: Pick<StageContext, "signal">,
  ) => DemoRecord | Promise<DemoRecord>,
  report: DemoChaos,
  failAt: number | undefined,
): (record: DemoRecord, ctx: StageContext) => DemoRecord | Promise<DemoRecord> {
  const policy = wrap(
    retry({ attempts: report.attempts, backoff: report.backoffMs }),
    timeout(report.timeoutMs),
    report.policy,
  );
  return (record, ctx) => {
    if (record.id === failAt) return fetch(record, ctx);
    report.records++;
    // ctx.signal is read now: ctx is reused by the slot's next call once this one awaits.
    return policy.execute(({ signal }) => fetch(record, { signal }), { signal: ctx.signal });
  };
}

const widened = new WeakSet<AbortSignal>();

/**
 * Every item of a run gets the same `ctx.signal`, so 64 items sleeping at once put 64
 * abort listeners on one signal and Node warns of a leak past 10. The listeners are not
 * leaked (each sleep removes its own), so lift the limit for that signal, once.
 */
function allowListeners(signal: AbortSignal): void {
  if (widened.has(signal)) return;
  widened.add(signal);
  setMaxListeners(0, signal);
}

function* records(count: number): Generator<DemoRecord> {
  for (let id = 0; id < count; id++) yield { id, value: hash(id) };
}
