import { Flights } from "./flights.js";
import type { ExecuteOptions, Policy, PolicyFunction } from "./policy.js";

export { Flights } from "./flights.js";

/**
 * A policy that collapses duplicate concurrent calls: the calls made with the same
 * `execute(fn, { key })` while one is in flight share that one execution, and each gets its
 * value or its error (the same object). Once it settles the key is free and the next call runs
 * again: nothing is cached. A call without a key runs alone. Use it in front of an expensive
 * idempotent read that many callers ask for at once (a cache fill, a token refresh).
 *
 * The shared execution runs the first caller's `fn` with that caller's `ctx.attempt` and a
 * signal of its own: a caller whose signal aborts rejects at once with its reason while the
 * execution runs on for the others, and the execution's signal aborts only when every caller
 * waiting for it has aborted (with the last one's reason).
 *
 * Waits for: the shared execution, or the caller's abort. Cost: see {@link Flights}; a call
 * without a key costs nothing over calling `fn`. Keys are compared as `Map` keys
 * (SameValueZero).
 */
export function singleflight(): Policy {
  const flights = new Flights();
  return {
    execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T> {
      const signal = options?.signal;
      const attempt = options?.attempt ?? 1;
      if (options?.key === undefined) {
        if (signal?.aborted) return Promise.reject(signal.reason as unknown);
        try {
          return Promise.resolve(fn({ signal: signal ?? new AbortController().signal, attempt }));
        } catch (error) {
          return Promise.reject(error as unknown);
        }
      }
      return flights.run(options.key, (shared) => fn({ signal: shared, attempt }), signal);
    },
  };
}
