import type { ResourceLimits } from "node:worker_threads";
import { checkOptionsObject, concurrencyOption, invalid } from "../internal/validate.js";
import { cpuQuota } from "../internal/cpu-quota.js";
import { ThreadPoolClosedError } from "../errors/thread-pool-closed-error.js";
import { moduleUrl } from "./module-url.js";
import { type BatchJob, PoolThread, type ThreadEvents } from "./pool-thread.js";

/** Batches a thread holds at once: one running, one waiting, so it never idles on a round trip. */
export const BATCHES_PER_THREAD = 2;

/**
 * The most threads a pool may have: far past any CPU count a process gets, and a typo such
 * as `threads: 40000` fails at once instead of spawning threads until memory runs out.
 */
export const MAX_THREADS = 1024;

/** Options of {@link threadPool}. */
export interface ThreadPoolOptions {
  /**
   * Threads in the pool: an integer from 1 to 1024, or `"cpus"`. Default: the CPU quota
   * ({@link cpuQuota}).
   */
  readonly threads?: number | "cpus";
  /** Memory limits of each thread, passed to `new Worker()`; a thread over them is replaced. */
  readonly resourceLimits?: ResourceLimits;
}

const POOL_KEYS = ["threads", "resourceLimits"] as const;

/**
 * A pool of worker threads that thread stages run their calls on. Each `thread()` stage makes
 * its own pool by default, sized to the CPU quota, and closes it when its run ends; pass one
 * pool to several stages (`thread(url, { pool })`) to share threads between them, and close it
 * yourself. Threads start when the pool is made; an idle thread does not keep the process alive.
 *
 * A thread that dies is replaced at once; a call that runs past its stage's `timeout` has
 * its thread terminated and replaced. Each thread holds at most two batches at once.
 */
export class ThreadPool {
  /** How many threads the pool keeps. */
  readonly size: number;
  readonly #threads: PoolThread[] = [];
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #modules = new Map<string, number>();
  readonly #roomWaiters = new Set<() => void>();
  /** Batches waiting for a thread that holds nothing ({@link wantIdle}). */
  #idleWanted = 0;
  #closed: Promise<void> | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #watchEvery = Number.POSITIVE_INFINITY;
  readonly #events: ThreadEvents = {
    freed: () => this.#wakeRoomWaiters(),
    exited: (thread) => this.#replace(thread),
    waiting: () => this.#roomWaiters.size > 0,
  };

  /**
   * The same as {@link threadPool}`(options)`, validated the same way: `new ThreadPool(0)`
   * or `new ThreadPool({ threads: 0 })` throws, naming the option.
   */
  constructor(options?: ThreadPoolOptions) {
    const raw = checkOptionsObject("threadPool", options, POOL_KEYS);
    const size = concurrencyOption("threadPool.threads", raw.threads, cpuQuota(), MAX_THREADS);
    this.size = size;
    this.#resourceLimits = resourceLimitsOption("threadPool.resourceLimits", raw.resourceLimits);
    for (let i = 0; i < size; i++) this.#threads.push(this.#spawn(i));
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** @internal Batches the pool can hold at once. */
  get batchSlots(): number {
    return this.size * BATCHES_PER_THREAD;
  }

  /**
   * Starts a worker module on every thread ahead of the runs that will use it, its `init()`
   * on all of them in parallel, so that the first run's first items do not wait for it (a
   * service warming its pool at boot, say). `module` is what `thread()` takes: a `URL`, a
   * `file:` URL string or an absolute path. Resolves once every thread is ready; rejects
   * with the first `WorkerInitError`, or with a `ThreadPoolClosedError` when the pool is
   * closed, or gets closed before every thread is ready. A module starts once per thread:
   * preparing it again, or a stage using it later, does not run its `init()` again.
   */
  prepare(module: URL | string): Promise<void> {
    const url = moduleUrl("ThreadPool.prepare.module", module);
    if (this.#closed !== undefined) {
      return Promise.reject(new ThreadPoolClosedError(undefined, false));
    }
    const id = this.#moduleId(url);
    return Promise.all(this.#threads.map((thread) => thread.start(id, url))).then((errors) => {
      // Threads terminated by close() tell their waiters they exited before they were ready.
      if (this.#closed !== undefined) throw new ThreadPoolClosedError(undefined, true);
      const error = errors.find((e) => e !== undefined);
      if (error !== undefined) throw error;
    });
  }

  /** @internal The id batches of the module at `url` carry. */
  moduleId(url: string): number {
    return this.#moduleId(url);
  }

  /** @internal Whether a thread holds no batch at all now (one a stolen tail would go to). */
  hasIdleThread(): boolean {
    if (this.#closed !== undefined) return false;
    for (const thread of this.#threads) if (this.#idle(thread)) return true;
    return false;
  }

  /** @internal Whether a thread has room for a batch now (what {@link trySend} would find). */
  hasRoom(): boolean {
    if (this.#closed !== undefined || this.#idleWanted > 0) return false;
    for (const thread of this.#threads) {
      if (this.#hasRoom(thread)) return true;
    }
    return false;
  }

  /**
   * @internal A batch that must be alone on its thread ({@link BatchJob.alone}) waits for
   * one that holds nothing: until {@link unwantIdle}, no other batch is sent to any thread, so
   * the threads drain and one comes free however busy other stages keep the pool (a brief
   * pause, after a crash only). Each call is undone by one {@link unwantIdle}.
   */
  wantIdle(): void {
    this.#idleWanted++;
  }

  /** @internal Undoes one {@link wantIdle}: the batch went, or its stage stopped waiting. */
  unwantIdle(): void {
    if (this.#idleWanted === 0) return;
    this.#idleWanted--;
    if (this.#idleWanted === 0) this.#wakeRoomWaiters();
  }

  /**
   * @internal Sends a batch to the least busy thread that has room and returns that thread;
   * returns `undefined`, sending nothing, when every thread holds {@link BATCHES_PER_THREAD}
   * batches (wait with {@link onRoom}), or, for a batch that must be alone, when no thread is
   * idle. While a batch that must be alone waits ({@link wantIdle}), only such batches are
   * sent.
   */
  trySend(job: BatchJob, url: string): PoolThread | undefined {
    if (this.#closed !== undefined) return undefined;
    const alone = job.alone === true;
    if (!alone && this.#idleWanted > 0) return undefined;
    let best: PoolThread | undefined;
    for (const thread of this.#threads) {
      if (alone ? !this.#idle(thread) : !this.#hasRoom(thread)) continue;
      if (best === undefined || thread.load < best.load) best = thread;
    }
    if (best === undefined) return undefined;
    // A replacement thread starts the module before its first batch (messages keep order).
    void best.start(job.message.module, url);
    best.send(job);
    if (job.message.timeout > 0) this.#watch(job.message.timeout);
    return best;
  }

  /** A thread that holds no batch: room for any, a batch that must be alone included. */
  #idle(thread: PoolThread): boolean {
    return thread.usable && thread.load === 0;
  }

  /** A thread with room for a batch: fewer than its share, none of them alone there. */
  #hasRoom(thread: PoolThread): boolean {
    return thread.usable && thread.load < BATCHES_PER_THREAD && !thread.isolated;
  }

  /** @internal Calls `callback` (until removed) whenever a thread may have room for a batch. */
  onRoom(callback: () => void): void {
    const first = this.#roomWaiters.size === 0;
    this.#roomWaiters.add(callback);
    if (first) this.#refreshRefs();
  }

  /** @internal Stops calling `callback`. */
  offRoom(callback: () => void): void {
    if (this.#roomWaiters.delete(callback) && this.#roomWaiters.size === 0) this.#refreshRefs();
  }

  /** Threads finishing forgotten batches keep the process alive only while a stage waits. */
  #refreshRefs(): void {
    for (const thread of this.#threads) thread.refreshRef();
  }

  /** @internal Aborts the signals of a batch's calls, wherever it runs. */
  cancel(id: number, reason: unknown): void {
    for (const thread of this.#threads) if (thread.batches.has(id)) thread.cancel(id, reason);
  }

  /**
   * @internal Drops a batch whose results are no longer wanted, wherever it runs (results
   * ignored).
   */
  forget(id: number): void {
    for (const thread of this.#threads) thread.forget(id);
  }

  /**
   * Terminates every thread (calls under way are stopped where they are) and resolves once
   * all have exited. Idempotent. A stage still running on the pool fails its run with an
   * error that says the pool was closed; its items are counted as cancelled.
   */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    this.#roomWaiters.clear();
    this.#closed = Promise.all(this.#threads.map((thread) => thread.terminate())).then(() => {});
    return this.#closed;
  }

  #moduleId(url: string): number {
    let id = this.#modules.get(url);
    if (id === undefined) {
      id = this.#modules.size + 1;
      this.#modules.set(url, id);
    }
    return id;
  }

  #spawn(number: number): PoolThread {
    return new PoolThread(number, this.#resourceLimits, this.#events);
  }

  #replace(thread: PoolThread): void {
    if (this.#closed !== undefined) return;
    const index = this.#threads.indexOf(thread);
    if (index < 0) return;
    this.#threads[index] = this.#spawn(thread.number);
    this.#wakeRoomWaiters();
  }

  #wakeRoomWaiters(): void {
    for (const wake of [...this.#roomWaiters]) wake();
  }

  /**
   * One interval per pool, while timed batches are in flight, reads every thread's progress
   * record: no timer per item or per batch. A call is stopped between its timeout and a
   * quarter of it later.
   */
  #watch(timeout: number): void {
    const every = Math.min(1000, Math.max(1, Math.floor(timeout / 4)));
    if (this.#watchdog !== undefined && every >= this.#watchEvery) return;
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    this.#watchEvery = every;
    this.#watchdog = setInterval(this.#inspect, every);
    this.#watchdog.unref();
  }

  readonly #inspect = (): void => {
    const now = Date.now();
    let timed = false;
    for (const thread of this.#threads) {
      for (const job of thread.batches.values()) if (job.message.timeout > 0) timed = true;
      const overdue = thread.overdue(now);
      if (overdue !== undefined) {
        thread.killForTimeout(overdue.job, overdue.position, overdue.elapsedMs);
      }
    }
    if (!timed && this.#watchdog !== undefined) {
      clearInterval(this.#watchdog);
      this.#watchdog = undefined;
      this.#watchEvery = Number.POSITIVE_INFINITY;
    }
  };
}

/**
 * Makes a pool of worker threads to share between thread stages:
 * `const pool = threadPool({ threads: 4 })`, then `thread(url, { pool })` in each stage, and
 * `await pool.close()` when done. Validates its options like every other sluice option.
 */
export function threadPool(options?: ThreadPoolOptions): ThreadPool {
  return new ThreadPool(options);
}

const LIMIT_KEYS = [
  "maxOldGenerationSizeMb",
  "maxYoungGenerationSizeMb",
  "codeRangeSizeMb",
  "stackSizeMb",
] as const;

/** `resourceLimits`: an object of positive numbers, as `new Worker()` takes. */
export function resourceLimitsOption(path: string, value: unknown): ResourceLimits | undefined {
  if (value === undefined) return undefined;
  const raw = checkOptionsObject(path, value, LIMIT_KEYS);
  for (const key of LIMIT_KEYS) {
    const limit = raw[key];
    if (
      limit !== undefined &&
      !(typeof limit === "number" && limit > 0 && Number.isFinite(limit))
    ) {
      throw invalid(`${path}.${key}`, "a number > 0", limit);
    }
  }
  return Object.freeze({ ...(raw as ResourceLimits) });
}
