import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isTimeoutError } from "../../src/index.js";
import type { ExecuteOptions, Policy, PolicyFunction } from "../../src/policy/policy.js";
import { retry } from "../../src/policy/retry.js";
import { timeout } from "../../src/policy/timeout.js";
import { wrap } from "../../src/policy/wrap.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

/** A policy that logs when it starts and ends, passing the context through. */
function logging(name: string, log: string[]): Policy {
  return {
    async execute<T>(fn: PolicyFunction<T>, options?: ExecuteOptions): Promise<T> {
      log.push(`${name} in`);
      const signal = options?.signal ?? new AbortController().signal;
      try {
        return await fn({ signal, attempt: options?.attempt ?? 1 });
      } finally {
        log.push(`${name} out`);
      }
    },
  };
}

describe("wrap()", () => {
  test("runs the policies outer first, the function innermost", async () => {
    const log: string[] = [];
    const result = await wrap(logging("a", log), logging("b", log), logging("c", log)).execute(
      () => {
        log.push("fn");
        return 42;
      },
    );
    assert.equal(result, 42);
    assert.deepEqual(log, ["a in", "b in", "c in", "fn", "c out", "b out", "a out"]);
  });

  test("wrap() of nothing runs the function with attempt 1 and the caller's signal", async () => {
    const controller = new AbortController();
    const ctx = await wrap().execute((c) => c, { signal: controller.signal });
    assert.equal(ctx.attempt, 1);
    assert.equal(ctx.signal, controller.signal);
  });

  test("wrap(retry, timeout) times out each attempt and retries it; the function sees the retry's attempt", async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    const policy = wrap(
      retry({ attempts: 3, clock, random: () => 0.5 }),
      timeout(1_000, { clock }),
    );
    let outcome: unknown;
    policy
      .execute((ctx) => {
        seen.push(ctx.attempt);
        return new Promise<never>(() => {}); // ignores its signal
      })
      .catch((error: unknown) => (outcome = error));
    await clock.advance(1_000);
    assert.deepEqual(seen, [1]);
    await clock.advance(50 + 1_000 + 100 + 1_000);
    assert.deepEqual(seen, [1, 2, 3]);
    assert.ok(isTimeoutError(outcome));
    assert.equal(clock.pending, 0);
  });

  test("wrap(timeout, retry) bounds all attempts: the deadline in a backoff rejects and leaves no timer", async () => {
    const clock = new ManualClock();
    let calls = 0;
    let outcome: unknown;
    wrap(timeout(500, { clock }), retry({ attempts: 10, backoff: 400, clock, random: () => 1 }))
      .execute(() => {
        calls++;
        throw new Error("down");
      })
      .catch((error: unknown) => (outcome = error));
    await clock.advance(500);
    // Attempt 1 at 0, attempt 2 at 400; the second delay (800 ms) is cut by the deadline.
    assert.equal(calls, 2);
    assert.ok(isTimeoutError(outcome));
    assert.equal(clock.pending, 0);
  });

  test("the function sees the attempt of the nearest retry", async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    const policy = wrap(
      retry({ attempts: 2, clock, random: () => 0 }),
      retry({ attempts: 3, clock, random: () => 0 }),
      timeout(1_000, { clock }),
    );
    const result = policy.execute((ctx) => {
      seen.push(ctx.attempt);
      throw new Error("down");
    });
    result.catch(() => {});
    await clock.advance(0);
    await settle();
    await assert.rejects(result, /down/);
    assert.deepEqual(seen, [1, 2, 3, 1, 2, 3]);
  });

  test("the caller's abort reaches the function's signal through every layer", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const result = wrap(retry({ attempts: 3, clock }), timeout(1_000, { clock })).execute(
      (ctx) => {
        signal = ctx.signal;
        return new Promise<never>(() => {});
      },
      { signal: controller.signal },
    );
    await settle();
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(result, (error) => error === reason);
    assert.equal(signal!.aborted, true);
    assert.equal(signal!.reason, reason);
    assert.equal(clock.pending, 0);
  });
});
