import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isTimeoutError, TimeoutError } from "../../src/index.js";
import { timeout } from "../../src/policy/timeout.js";
import type { PolicyContext } from "../../src/policy/policy.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

/** A promise settled by hand, for a call that finishes when the test says. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("timeout()", () => {
  test("settles with the call's value before the deadline and leaves no timer", async () => {
    const clock = new ManualClock();
    const call = deferred<string>();
    const result = timeout(1_000, { clock }).execute(() => call.promise);
    await clock.advance(999);
    call.resolve("done");
    assert.equal(await result, "done");
    assert.equal(clock.pending, 0);
    assert.deepEqual(clock.delays, [1_000]);
  });

  test("rejects with a TimeoutError at the deadline when the call ignores its signal, and drops its late result", async () => {
    const clock = new ManualClock();
    const call = deferred<string>();
    let seen: PolicyContext | undefined;
    const result = timeout("250ms", { clock }).execute((ctx) => {
      seen = ctx;
      return call.promise;
    });
    let outcome: unknown;
    result.then(
      () => (outcome = "resolved"),
      (error: unknown) => (outcome = error),
    );
    await clock.advance(249);
    assert.equal(outcome as unknown, undefined);
    assert.equal(seen!.signal.aborted, false);
    await clock.advance(1);
    assert.ok(isTimeoutError(outcome));
    assert.ok(outcome instanceof TimeoutError);
    assert.equal(outcome.code, "ERR_SLUICE_TIMEOUT");
    assert.equal(outcome.message, "Call timed out after 250 ms (timeout 250 ms)");
    assert.equal(outcome.elapsedMs, 250);
    assert.equal(outcome.timeoutMs, 250);
    assert.equal(outcome.stage, undefined);
    assert.equal(outcome.index, undefined);
    assert.equal(seen!.signal.aborted, true);
    assert.equal(seen!.signal.reason, outcome);
    // The late result, and a late rejection, change nothing and are not unhandled.
    call.reject(new Error("late"));
    await settle();
    assert.ok(isTimeoutError(outcome));
    assert.equal(clock.pending, 0);
  });

  test("the call's own rejection before the deadline passes through unchanged", async () => {
    const clock = new ManualClock();
    const boom = new Error("boom");
    await assert.rejects(
      timeout(100, { clock }).execute(() => Promise.reject(boom)),
      (error) => error === boom,
    );
    assert.equal(clock.pending, 0);
  });

  test("a synchronous throw rejects with the thrown error and clears the timer", async () => {
    const clock = new ManualClock();
    const boom = new Error("sync");
    await assert.rejects(
      timeout(100, { clock }).execute(() => {
        throw boom;
      }),
      (error) => error === boom,
    );
    assert.equal(clock.pending, 0);
  });

  test("the caller's abort rejects at once with its reason and aborts the call's signal", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const result = timeout(1_000, { clock }).execute(
      (ctx) => {
        signal = ctx.signal;
        return new Promise<never>(() => {});
      },
      { signal: controller.signal },
    );
    await clock.advance(10);
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(result, (error) => error === reason);
    assert.equal(signal!.reason, reason);
    assert.equal(clock.pending, 0);
  });

  test("an already aborted signal rejects without calling the function or setting a timer", async () => {
    const clock = new ManualClock();
    const reason = new Error("gone");
    let calls = 0;
    await assert.rejects(
      timeout(100, { clock }).execute(
        () => {
          calls++;
        },
        { signal: AbortSignal.abort(reason) },
      ),
      (error) => error === reason,
    );
    assert.equal(calls, 0);
    assert.equal(clock.pending, 0);
  });

  test("reports the attempt it is given, 1 by default", async () => {
    const clock = new ManualClock();
    const policy = timeout(100, { clock });
    assert.equal(await policy.execute((ctx) => ctx.attempt), 1);
    assert.equal(await policy.execute((ctx) => ctx.attempt, { attempt: 4 }), 4);
  });

  test("a deadline after the caller's abort listener was removed does not fire twice", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const result = timeout(50, { clock }).execute(() => new Promise<never>(() => {}), {
      signal: controller.signal,
    });
    const assertion = assert.rejects(result, (error) => isTimeoutError(error));
    await clock.advance(50);
    await assertion;
    controller.abort(new Error("after"));
    assert.equal(clock.pending, 0);
  });
});
