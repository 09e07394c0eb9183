/**
 * What a policy gives the function it runs, once per attempt.
 */
export interface PolicyContext {
  /**
   * The call's own signal: aborts when the caller's signal aborts, and when a policy between
   * the caller and the function gives up on the call (a `timeout()` at its deadline).
   */
  readonly signal: AbortSignal;
  /** The attempt number, from 1, as counted by the nearest `retry()` around the call; 1 without one. */
  readonly attempt: number;
}

/** What `Policy.execute` takes besides the function. */
export interface ExecuteOptions {
  /** Cancels the call: the returned promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * The attempt number to report to the function when this policy does not count attempts
   * itself (a `retry()` counts its own and ignores it). `wrap()` passes the outer policy's
   * `ctx.attempt` here, so the function sees the attempt of the nearest retry. Default 1.
   */
  readonly attempt?: number;
  /**
   * The call's key, for policies that group calls: `singleflight()` shares one execution among
   * the concurrent calls with the same key, and `breaker()` keeps one circuit per key. Keys are
   * compared as `Map` keys (SameValueZero); `undefined` means no key. `wrap()` passes it to
   * every policy it composes. Policies that do not group calls ignore it. Default: no key.
   */
  readonly key?: unknown;
}

/**
 * The Policy seam: something that wraps one call — `timeout()`, `retry()`, and `wrap()` to
 * compose them. A user can implement it; to keep `ctx.attempt` flowing through `wrap()`, pass
 * `options.attempt` on to the context of a call the policy does not retry itself. `wrap()`
 * hands `options.key` to every policy itself.
 */
export interface Policy {
  /**
   * Runs `fn` under this policy and settles with its result or the policy's error. Waits for
   * what the policy waits for (attempts, backoff delays); a policy may settle before `fn` does
   * (a timeout, an abort), and `fn`'s late result is then dropped.
   */
  execute<T>(fn: (ctx: PolicyContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T>;
}

/** The function a policy runs. */
export type PolicyFunction<T> = (ctx: PolicyContext) => T | PromiseLike<T>;
