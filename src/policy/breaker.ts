import { InvalidOptionError } from "../errors/invalid-option-error.js";
import {
  type CircuitBreakerOptions,
  type CircuitState,
  breakerSettings,
} from "./breaker-settings.js";
import { CircuitBreakers } from "./circuit-breaker.js";
import { type Clock, clockOption } from "./clock.js";
import type { ExecuteOptions, Policy, PolicyFunction } from "./policy.js";

/**
 * Options of {@link breaker}: those of a stage's breaker but `key` (a standalone breaker keys
 * each call by `execute(fn, { key })`), plus the clock.
 */
export interface BreakerOptions extends Omit<CircuitBreakerOptions, "key"> {
  /** The clock the windows and the open time run on. Default: the system clock. */
  readonly clock?: Clock;
}

/** The policy {@link breaker} returns: a `Policy` whose circuits can be read. */
export interface Breaker extends Policy {
  /** The state of `key`'s circuit (of the unkeyed circuit without one); `"closed"` when none is held. */
  state(key?: unknown): CircuitState;
}

/**
 * A circuit breaker policy: after too many failures it fails calls fast, without calling the
 * function, until `halfOpenAfter` has passed; then it lets `halfOpenProbes` probes through, and
 * the first probe's outcome closes or reopens it. It opens on `failures` consecutive failures
 * (default 5), or with `rate`, on a failure rate of at least `rate` over at least `minCalls`
 * calls in a sliding `window` (default 10 calls in 10 s). Use it outside a `retry()`, so a
 * dependency that is down costs one fast failure per call rather than every attempt.
 *
 * A refused call rejects at once with a `BrokenCircuitError` (`code:
 * "ERR_SLUICE_CIRCUIT_OPEN"`, `retryAfter` ms, the failure that opened it as `cause`). Every
 * other outcome is the function's own, unchanged.
 *
 * Keys: each distinct `execute(fn, { key })` (compared as `Map` keys) has its own circuit,
 * so one failing tenant or host does not open the circuit for the others; calls without a key
 * share one. Key state is bounded (`maxKeys`, `idle`; see `CircuitBreakers`).
 *
 * What counts: a failure is any error, except one from a call whose caller's signal has
 * aborted when the error is that signal's reason or is named `"AbortError"` — the caller gave
 * up, which says nothing about the dependency; such a call counts neither way.
 *
 * Waits for: the function. Cost per call: one `Map` lookup and move, one AbortController when
 * the caller passes no signal; a refused call costs one error object and no call.
 */
export function breaker(options?: BreakerOptions): Breaker {
  if (options !== null && typeof options === "object" && "key" in options) {
    throw new InvalidOptionError(
      "Option `breaker.key` is a stage's breaker option; a standalone breaker() keys each call by `execute(fn, { key })`",
      "breaker.key",
      (options as { key?: unknown }).key,
    );
  }
  const settings = breakerSettings("breaker", options, ["clock"]);
  const clock = clockOption("breaker.clock", options?.clock);
  return new BreakerPolicy(new CircuitBreakers(settings, clock));
}

/** Whether a failure is the caller giving up rather than the dependency failing. */
function callerAborted(signal: AbortSignal | undefined, error: unknown): boolean {
  if (signal?.aborted !== true) return false;
  return (
    error === signal.reason ||
    (error as { name?: unknown } | null | undefined)?.name === "AbortError"
  );
}

class BreakerPolicy implements Breaker {
  readonly #breakers: CircuitBreakers;

  constructor(breakers: CircuitBreakers) {
    this.#breakers = breakers;
  }

  state(key?: unknown): CircuitState {
    return this.#breakers.state(key);
  }

  execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T> {
    const outer = options?.signal;
    if (outer?.aborted) return Promise.reject(outer.reason as unknown);
    const key = options?.key;
    const breakers = this.#breakers;
    const refused = breakers.admit(key);
    if (refused !== undefined) return Promise.reject(refused);
    // A signal of its own when the caller has none, as retry() does: listeners the function
    // never removes die with the call.
    const signal = outer ?? new AbortController().signal;
    let result: T | PromiseLike<T>;
    try {
      result = fn({ signal, attempt: options?.attempt ?? 1 });
    } catch (error) {
      result = Promise.reject(error as unknown);
    }
    return Promise.resolve(result).then(
      (value) => {
        breakers.record(key, true);
        return value;
      },
      (error: unknown) => {
        if (callerAborted(outer, error)) breakers.release(key);
        else breakers.record(key, false, error);
        throw error;
      },
    );
  }
}
