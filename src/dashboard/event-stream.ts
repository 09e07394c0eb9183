import type { ServerResponse } from "node:http";
import type { RunMetrics } from "../observe/run-metrics.js";
import { wireFrame, wireStages } from "./frame.js";
import type { WireFrame, WireHello } from "./wire.js";

/** What the stream reads from a run: `Run` has all of it. */
export interface StreamedRun {
  metrics(): RunMetrics;
  onMetrics(listener: (metrics: RunMetrics) => void, options?: { every?: number }): () => void;
  readonly paused: boolean;
}

/** How much history a client gets when it connects: five minutes of frames. */
const HISTORY_MS = 300_000;

/**
 * A client that has this much unsent output is not reading (a stopped tab, a stalled
 * network): it is dropped rather than buffered for without bound. Its browser reconnects.
 */
const MAX_BACKLOG_BYTES = 1 << 20;

/**
 * The run's frames as Server-Sent Events, to every connected page: one `frame` event per
 * interval (from `run.onMetrics`) and one when the run settles; a `hello` with the stages and
 * the frames kept so far on connecting; an `end` when the stream closes.
 *
 * Costs one `run.metrics()` and one JSON string per interval whoever listens, nothing per
 * item; keeps at most five minutes of frames (`HISTORY_MS / intervalMs` of them).
 */
export class EventStream {
  readonly #clients = new Set<ServerResponse>();
  readonly #frames: WireFrame[] = [];
  readonly #keep: number;
  readonly #hello: Omit<WireHello, "frames">;
  readonly #run: StreamedRun;
  readonly #unsubscribe: () => void;
  #previous: RunMetrics | undefined;

  constructor(run: StreamedRun, pipeline: string, intervalMs: number) {
    this.#run = run;
    this.#keep = Math.ceil(HISTORY_MS / intervalMs);
    this.#hello = { pipeline, intervalMs, stages: wireStages(run.metrics()) };
    // The listener must never throw: a throwing onMetrics listener fails the run.
    this.#unsubscribe = run.onMetrics((metrics) => this.#publish(metrics), { every: intervalMs });
  }

  /** Connected pages. */
  get size(): number {
    return this.#clients.size;
  }

  /** Starts streaming to `response`: headers, the `hello`, then every frame until it closes. */
  add(response: ServerResponse): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      // Each stream gets its own connection, closed when the stream ends: `close()` can then
      // end the streams and let their sockets drain instead of cutting them.
      connection: "close",
      "x-accel-buffering": "no",
    });
    const hello: WireHello = { ...this.#hello, frames: this.#frames };
    response.write(`retry: 1000\n\n${event("hello", hello)}`);
    this.#clients.add(response);
    response.on("close", () => this.#clients.delete(response));
  }

  /** Stops listening to the run and ends every stream with an `end` event. */
  close(): void {
    this.#unsubscribe();
    for (const client of this.#clients) client.end(event("end", {}));
    this.#clients.clear();
  }

  #publish(metrics: RunMetrics): void {
    try {
      const frame = wireFrame(metrics, this.#previous, this.#run.paused);
      this.#previous = metrics;
      this.#frames.push(frame);
      if (this.#frames.length > this.#keep) this.#frames.shift();
      const text = event("frame", frame);
      for (const client of this.#clients) {
        if (client.writableLength > MAX_BACKLOG_BYTES) client.destroy();
        else client.write(text);
      }
    } catch {
      // A frame that could not be built or sent costs the page one point on its charts;
      // letting the error out of an onMetrics listener would fail the run.
    }
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
