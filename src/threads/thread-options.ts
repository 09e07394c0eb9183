import type { ResourceLimits } from "node:worker_threads";
import type { Duration } from "../internal/duration.js";
import {
  booleanOption,
  checkOptionsObject,
  concurrencyOption,
  durationOption,
  integerOption,
  invalid,
} from "../internal/validate.js";
import { cpuQuota } from "../internal/cpu-quota.js";
import { MAX_BATCH } from "./batch-sizer.js";
import { MAX_THREADS, resourceLimitsOption, ThreadPool } from "./thread-pool.js";

/** Options of `thread(moduleUrl, options)`. */
export interface ThreadOptions {
  /**
   * Threads of the stage's own pool: an integer from 1 to 1024, or `"cpus"`. Default: the
   * CPU quota (the cgroup's `cpu.max`, not the host's core count). Not with `pool`.
   */
  readonly threads?: number | "cpus";
  /** A pool shared with other stages (`threadPool()`); you close it. Default: the stage's own. */
  readonly pool?: ThreadPool;
  /**
   * Items per message to a thread: an integer from 1 to 1024. Default: adaptive, from the
   * measured cost of an item, so that a batch keeps its thread busy ~4 ms, and at most
   * 4 MiB of byte and string items, counting those a record or an array holds directly (or
   * one item). A number set here is kept as it is.
   */
  readonly batch?: number;
  /**
   * Longest a call may run, in ms or a string such as `"30s"`. A sync call past it has its
   * thread terminated and replaced (the other items of its batch run again elsewhere); an
   * async call past it has its signal aborted. Either way the item fails with a
   * `TimeoutError` through the stage's `onError`. Default: none.
   */
  readonly timeout?: Duration;
  /** Memory limits of each thread of the stage's own pool (`new Worker()`'s). Not with `pool`. */
  readonly resourceLimits?: ResourceLimits;
  /**
   * Moves each item's memory to its thread instead of copying it: an `ArrayBuffer`, or a typed
   * array spanning its whole buffer. The main thread's copy is then detached, so only `map`,
   * `flatMap` and `forEach` accept it, and nothing can send an item again: an item held by a
   * thread that is lost (it dies, or is terminated for a call past `timeout`) fails at once
   * with a `WorkerCrashedError` (`transferred: true`), and a batch held up by a long call
   * keeps its tail (no work stealing). Default: false (copy).
   */
  readonly transfer?: boolean;
}

/** {@link ThreadOptions} checked, with their defaults. */
export interface ResolvedThreadOptions {
  readonly threads: number;
  readonly pool: ThreadPool | undefined;
  readonly batch: number | undefined;
  readonly timeout: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly transfer: boolean;
}

const THREAD_KEYS = ["threads", "pool", "batch", "timeout", "resourceLimits", "transfer"] as const;

/** Validates `thread()`'s options, each with the message shape of every sluice option. */
export function threadOptions(options: unknown): ResolvedThreadOptions {
  const raw = checkOptionsObject("thread", options, THREAD_KEYS);
  const pool = raw.pool;
  if (pool !== undefined && !(pool instanceof ThreadPool)) {
    throw invalid("thread.pool", "a pool made by threadPool()", pool);
  }
  if (pool !== undefined && (raw.threads !== undefined || raw.resourceLimits !== undefined)) {
    throw invalid(
      "thread.pool",
      "given without `threads` or `resourceLimits` (the pool sets both)",
      pool,
    );
  }
  if (pool?.closed === true) throw invalid("thread.pool", "a pool that is not closed", pool);
  return Object.freeze({
    threads:
      pool?.size ?? concurrencyOption("thread.threads", raw.threads, cpuQuota(), MAX_THREADS),
    pool,
    batch: raw.batch === undefined ? undefined : batchOption(raw.batch),
    timeout: durationOption("thread.timeout", raw.timeout, 0),
    resourceLimits: resourceLimitsOption("thread.resourceLimits", raw.resourceLimits),
    transfer: booleanOption("thread.transfer", raw.transfer, false),
  });
}

function batchOption(value: unknown): number {
  return integerOption("thread.batch", value, 1, 1, MAX_BATCH);
}
