import type { Limiter } from "../../src/limit/limiter.js";

/**
 * A deterministic discrete-event simulation of a limiter in front of a slow service: no
 * timers, no wall clock, the same numbers on every machine.
 *
 * The service serves at most `servers` requests at once, each for exactly `serviceMs`, and
 * starts at most one every `admitEveryMs`; requests that cannot start wait in one FIFO queue,
 * so a request's latency is its queue wait plus `serviceMs`. The client has an unbounded
 * backlog: it keeps `floor(limiter.limit)` (clamped to `1..limiter.max`) requests in flight,
 * reports each one to the limiter as it finishes (`onSample(latency, inFlightAtStart, false,
 * now)`) and then tops the in-flight count back up to the new limit.
 */
export interface SimulationOptions {
  /** Requests the service serves at once. */
  readonly servers: number;
  /** How long the service spends on each request, in ms. */
  readonly serviceMs: number;
  /**
   * The least time between two requests starting service, in ms; 0 for none. With
   * `serviceMs / servers` the servers' start times stay spread evenly, as a busy service's
   * do; with 0 every start happens at a completion and so on the same 200 ms grid as the
   * first request's (see the simulation test).
   */
  readonly admitEveryMs: number;
  /** Simulated time to run, in ms. */
  readonly durationMs: number;
}

/** What a simulation measured. */
export interface SimulationResult {
  /** Requests in flight (queued or served), averaged over the simulated time. */
  readonly inFlight: number;
  /** Requests finished per second of simulated time. */
  readonly throughput: number;
  /** The 99th percentile latency of the finished requests, in ms (nearest rank). */
  readonly p99: number;
  /** Requests finished. */
  readonly completed: number;
}

interface Request {
  readonly startedAt: number;
  readonly inFlightAtStart: number;
}

/** Runs `limiter` against the simulated service for `durationMs` of simulated time. */
export function simulate(limiter: Limiter, options: SimulationOptions): SimulationResult {
  const { servers, serviceMs, admitEveryMs, durationMs } = options;
  const waiting: Request[] = [];
  let waitingHead = 0;
  // Requests in service, in the order they finish: each takes the same time, so FIFO.
  const serving: { request: Request; doneAt: number }[] = [];
  let servingHead = 0;
  const latencies: number[] = [];
  let now = 0;
  let inFlight = 0;
  let inFlightArea = 0;
  let nextAdmitAt = 0;

  const admit = (): void => {
    while (
      waitingHead < waiting.length &&
      serving.length - servingHead < servers &&
      now >= nextAdmitAt
    ) {
      serving.push({ request: waiting[waitingHead++]!, doneAt: now + serviceMs });
      nextAdmitAt = now + admitEveryMs;
    }
  };
  const topUp = (): void => {
    const width = Math.min(Math.max(Math.floor(limiter.limit), 1), limiter.max);
    while (inFlight < width) {
      inFlight++;
      waiting.push({ startedAt: now, inFlightAtStart: inFlight });
    }
    admit();
  };
  const advanceTo = (time: number): void => {
    inFlightArea += inFlight * (time - now);
    now = time;
  };

  topUp();
  for (;;) {
    const done = serving[servingHead];
    // The next event: a request finishes, or the queue's head may start service.
    const canAdmitLater = waitingHead < waiting.length && serving.length - servingHead < servers;
    const admitAt = canAdmitLater ? nextAdmitAt : Number.POSITIVE_INFINITY;
    const doneAt = done?.doneAt ?? Number.POSITIVE_INFINITY;
    const next = Math.min(admitAt, doneAt);
    if (next > durationMs) break;
    advanceTo(next);
    if (done !== undefined && doneAt === next) {
      servingHead++;
      inFlight--;
      // The freed server goes to the queue's head before the client sends anything new,
      // so a request sent now waits behind the ones already queued (FIFO).
      admit();
      const latency = now - done.request.startedAt;
      latencies.push(latency);
      limiter.onSample(latency, done.request.inFlightAtStart, false, now);
      topUp();
    } else {
      admit();
    }
  }
  advanceTo(durationMs);

  latencies.sort((a, b) => a - b);
  return {
    inFlight: inFlightArea / durationMs,
    throughput: latencies.length / (durationMs / 1000),
    p99: latencies[Math.ceil(latencies.length * 0.99) - 1] ?? Number.NaN,
    completed: latencies.length,
  };
}
