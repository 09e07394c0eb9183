import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import type { EventLoopDelay } from "./run-metrics.js";

/** Resolution of the event-loop delay monitor, in ms: its timer fires this often. */
const RESOLUTION_MS = 20;

/**
 * Event-loop delay while a run records metrics: Node's `monitorEventLoopDelay` (less its
 * 20 ms resolution, which its samples include), started with
 * the run and stopped when it settles, so it leaves no timer behind. Costs one timer firing
 * every 20 ms, nothing per item.
 */
export class EventLoopProbe {
  #histogram: IntervalHistogram | undefined = monitorEventLoopDelay({
    resolution: RESOLUTION_MS,
  });
  #last: EventLoopDelay = { meanMs: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };

  constructor() {
    this.#histogram!.enable();
  }

  /** The delay so far (or when it stopped). */
  read(): EventLoopDelay {
    const h = this.#histogram;
    if (h === undefined) return this.#last;
    // The monitor reports in ns the time between its timer's firings, so the resolution
    // itself is taken off; NaN or 0 before its first sample.
    const ms = (ns: number): number =>
      Number.isFinite(ns) && ns > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0;
    this.#last = {
      meanMs: ms(h.mean),
      p50Ms: ms(h.percentile(50)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
    };
    return this.#last;
  }

  /** Stops the monitor, keeping its last reading. Idempotent. */
  stop(): void {
    if (this.#histogram === undefined) return;
    this.read();
    this.#histogram.disable();
    this.#histogram = undefined;
  }
}
