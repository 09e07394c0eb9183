import type { StageContext } from "../contract/types.js";
import { moduleUrl } from "./module-url.js";
import { ThreadExecutor } from "./thread-executor.js";
import { type ThreadOptions, threadOptions } from "./thread-options.js";

/** What a worker module's function receives beside its item, on its thread. */
export interface ThreadContext<S = unknown> extends StageContext {
  /** What the module's `init()` returned on this thread (`undefined` without one). */
  readonly state: S;
}

/** A worker module's per-item function, its default export. */
export type ThreadFunction<I = never, O = unknown, S = unknown> = (
  item: I,
  ctx: ThreadContext<S>,
) => O | PromiseLike<O>;

/**
 * The item type a worker module's function takes: its first parameter's, or `unknown` for a
 * function that takes none (it ignores its item, and any item will do).
 */
export type ThreadItemOf<F extends (...args: never[]) => unknown> =
  Parameters<F> extends [] ? unknown : Parameters<F>[0];

/**
 * Runs a stage's calls on worker threads: `.map(thread(new URL("./hash.worker.js",
 * import.meta.url)))`. Accepted wherever `map`, `filter`, `flatMap`, `tap` and `forEach`
 * take a function; the stage keeps its semantics (order, `onError`, cancellation, counters).
 *
 * The module's default export is the per-item function `(item, ctx) => result`, sync or
 * async; an optional `export function init()` builds per-thread state once (a hasher, a
 * compiled schema, a client), handed to every call on that thread as `ctx.state`. Inits run
 * on all threads in parallel before the stage takes its first item; one that throws fails
 * the run with a `WorkerInitError` naming the module and the thread.
 *
 * Items and results cross by structured clone, in batches (one message each way per batch),
 * except byte items and long Latin-1 strings, packed into one transferred buffer per batch,
 * and `Buffer`s in a `SharedArrayBuffer`, which are not copied at all: the thread reads them
 * where they are. A `Buffer` crosses as a `Buffer` both ways (clone alone would make it a
 * `Uint8Array`), at the top level or inside arrays, objects, `Map`s and `Set`s. See
 * {@link ThreadOptions} for the pool, the batch size, timeouts, memory limits and transfer.
 * Type the stage by the module's function:
 * `thread<typeof import("./hash.worker.js").default>(url)`.
 *
 * Costs: on the main thread, a slice of the input and one message per batch, and one result
 * per item through the stage's output; nothing per item on a timer or a promise.
 *
 * Observed as an event-loop stage is: `run({ trace })` starts a span per item on the main
 * thread as its batch is sent (with the thread's `slot` and `threadId`; each send of an item
 * is an attempt) and ends it when the batch answers or its thread is lost; `run({ metrics })`
 * times one call in `sampleEvery` on its thread (`processingMs`) and takes its queue time up
 * to its batch's dispatch (`queueMs`). Without either, batches carry nothing more.
 */
export function thread<F extends ThreadFunction<never, unknown, never> = ThreadFunction<unknown>>(
  module: URL | string,
  options?: ThreadOptions,
): ThreadExecutor<ThreadItemOf<F>, Awaited<ReturnType<F>>> {
  return new ThreadExecutor(moduleUrl("thread.module", module), threadOptions(options));
}
