import { hasMethods, invalid } from "../internal/validate.js";
import type { ExecuteOptions, Policy, PolicyFunction } from "./policy.js";

/**
 * Composes policies, outer first: `wrap(a, b).execute(fn)` runs
 * `a.execute((ctx) => b.execute(fn, { signal: ctx.signal, attempt: ctx.attempt, key }))`,
 * where `key` is the caller's `options.key`, handed unchanged to every policy. The function
 * sees the signal of the innermost policy and the attempt of the nearest `retry()` around it.
 * `wrap()` of nothing runs the function as it is (attempt 1).
 *
 * The documented order, outer to inner, is rate limit → bulkhead → breaker → retry → hedge →
 * timeout → function: so a timeout bounds one attempt, a retry is throttled by the breaker and
 * the limits, and `wrap(retry(...), timeout(...))` is the usual pair. `wrap()` does not reorder
 * what it is given.
 *
 * Cost: one closure per policy per call, on top of the policies' own.
 */
export function wrap(...policies: readonly Policy[]): Policy {
  const list = [...policies];
  for (const [i, policy] of list.entries()) {
    if (!hasMethods(policy, ["execute"])) {
      throw invalid(`wrap.policies[${i}]`, "a policy (an object with execute)", policy);
    }
  }
  return {
    execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T> {
      return run(list, 0, fn, options);
    },
  };
}

function run<T>(
  list: readonly Policy[],
  i: number,
  fn: PolicyFunction<T>,
  options: ExecuteOptions | undefined,
): Promise<T> {
  const policy = list[i];
  if (policy === undefined) {
    // Only for wrap() of nothing: the innermost policy is handed fn itself (below).
    const signal = options?.signal ?? new AbortController().signal;
    if (signal.aborted) return Promise.reject(signal.reason as unknown);
    try {
      return Promise.resolve(fn({ signal, attempt: options?.attempt ?? 1 }));
    } catch (error) {
      return Promise.reject(error as unknown);
    }
  }
  if (i === list.length - 1) return policy.execute(fn, options);
  return policy.execute(
    (ctx) => run(list, i + 1, fn, { signal: ctx.signal, attempt: ctx.attempt, key: options?.key }),
    options,
  );
}
