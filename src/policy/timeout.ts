import type { Duration } from "../internal/duration.js";
import {
  checkOptionsObject,
  durationExpectation,
  durationOption,
  invalid,
} from "../internal/validate.js";
import { TimeoutError } from "../errors/timeout-error.js";
import { type Clock, clockOption } from "./clock.js";
import type { ExecuteOptions, Policy, PolicyFunction } from "./policy.js";

/** Options of {@link timeout} besides the duration. */
export interface TimeoutOptions {
  /** The clock the deadline runs on. Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * A policy that gives each call `ms` (a number of ms, or a string such as `"30s"`; > 0).
 *
 * At the deadline the call's `ctx.signal` aborts with a {@link TimeoutError} (code
 * `ERR_SLUICE_TIMEOUT`, with the elapsed and the timeout in ms) and `execute` rejects with that
 * error at once, even if the function ignores its signal: its late result or error is dropped
 * (and never reported as unhandled). When the caller's signal aborts first, the call's signal
 * aborts with the same reason and `execute` rejects with it at once.
 *
 * Inside a `retry()` (`wrap(retry(...), timeout(...))`) the timeout is per attempt; outside it
 * (`wrap(timeout(...), retry(...))`) it bounds all attempts and backoff delays together.
 *
 * Cost per call: one AbortController, one timer, one promise; the timer and the listener on
 * the caller's signal are removed when the call settles.
 */
export function timeout(ms: Duration, options?: TimeoutOptions): Policy {
  // Required: undefined gets the same sentence as any other wrong value.
  if (ms === undefined) throw invalid("timeout", durationExpectation(), ms);
  const timeoutMs = durationOption("timeout", ms, 0);
  const raw = checkOptionsObject("timeout", options, ["clock"]);
  const clock = clockOption("timeout.clock", raw.clock);
  return new TimeoutPolicy(timeoutMs, clock);
}

class TimeoutPolicy implements Policy {
  readonly #ms: number;
  readonly #clock: Clock;

  constructor(ms: number, clock: Clock) {
    this.#ms = ms;
    this.#clock = clock;
  }

  execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T> {
    const outer = options?.signal;
    if (outer?.aborted) return Promise.reject(outer.reason as unknown);
    const clock = this.#clock;
    const ms = this.#ms;
    const controller = new AbortController();
    const start = clock.now();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        clock.clearTimeout(handle);
        outer?.removeEventListener("abort", onOuterAbort);
        return true;
      };
      const onOuterAbort = (): void => {
        if (!finish()) return;
        controller.abort(outer!.reason);
        reject(outer!.reason as unknown);
      };
      const handle = clock.setTimeout(() => {
        if (!finish()) return;
        const error = new TimeoutError(undefined, undefined, clock.now() - start, ms);
        // Settled first, so whatever fn does when its signal aborts cannot win the race.
        controller.abort(error);
        reject(error);
      }, ms);
      outer?.addEventListener("abort", onOuterAbort, { once: true });

      let result: T | PromiseLike<T>;
      try {
        result = fn({ signal: controller.signal, attempt: options?.attempt ?? 1 });
      } catch (error) {
        if (finish()) reject(error);
        return;
      }
      // Both handlers are attached even after a timeout, so a late rejection is not unhandled.
      Promise.resolve(result).then(
        (value) => {
          if (finish()) resolve(value);
        },
        (error: unknown) => {
          if (finish()) reject(error);
        },
      );
    });
  }
}
