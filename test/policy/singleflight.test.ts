import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PolicyContext } from "../../src/policy/policy.js";
import { retry } from "../../src/policy/retry.js";
import { singleflight } from "../../src/policy/singleflight.js";
import { wrap } from "../../src/policy/wrap.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

/** A function whose calls wait for the test; `calls` holds each call's context and settlers. */
function manual(): {
  fn: (ctx: PolicyContext) => Promise<string>;
  calls: { ctx: PolicyContext; resolve(v: string): void; reject(e: unknown): void }[];
} {
  const calls: { ctx: PolicyContext; resolve(v: string): void; reject(e: unknown): void }[] = [];
  return {
    calls,
    fn: (ctx) => new Promise<string>((resolve, reject) => calls.push({ ctx, resolve, reject })),
  };
}

/** Records how a promise settled, without leaving a rejection unhandled. */
function track(promise: Promise<unknown>): {
  readonly outcome: unknown;
  readonly settled: boolean;
} {
  const state = { outcome: undefined as unknown, settled: false };
  promise.then(
    (value) => Object.assign(state, { outcome: value, settled: true }),
    (error: unknown) => Object.assign(state, { outcome: error, settled: true }),
  );
  return state;
}

describe("singleflight()", () => {
  test("concurrent calls with the same key share one execution and its value", async () => {
    const policy = singleflight();
    const { fn, calls } = manual();
    const results = [1, 2, 3].map(() => policy.execute(fn, { key: "user:1" }));
    const other = policy.execute(fn, { key: "user:2" });
    await settle();
    assert.equal(calls.length, 2);
    calls[0]!.resolve("one");
    calls[1]!.resolve("two");
    assert.deepEqual(await Promise.all(results), ["one", "one", "one"]);
    assert.equal(await other, "two");
  });

  test("a leader that throws gives every waiter the same error", async () => {
    const policy = singleflight();
    const boom = new Error("boom");
    let calls = 0;
    const results = [1, 2, 3].map(() =>
      policy.execute(
        () => {
          calls++;
          throw boom;
        },
        { key: "k" },
      ),
    );
    for (const result of results) await assert.rejects(result, (error) => error === boom);
    assert.equal(calls, 1);
  });

  test("once the execution settles the key is free: a later call runs again", async () => {
    const policy = singleflight();
    let calls = 0;
    const fn = (): number => ++calls;
    assert.equal(await policy.execute(fn, { key: "k" }), 1);
    assert.equal(await policy.execute(fn, { key: "k" }), 2);
    const failing = policy.execute(() => Promise.reject(new Error("x")), { key: "k" });
    await assert.rejects(failing);
    assert.equal(await policy.execute(fn, { key: "k" }), 3);
  });

  test("calls without a key each run alone, with the caller's signal", async () => {
    const policy = singleflight();
    const { fn, calls } = manual();
    const controller = new AbortController();
    const a = policy.execute(fn, { signal: controller.signal });
    const b = policy.execute(fn);
    await settle();
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.ctx.signal, controller.signal);
    calls[0]!.resolve("a");
    calls[1]!.resolve("b");
    assert.deepEqual(await Promise.all([a, b]), ["a", "b"]);
  });

  test("a waiter whose signal aborts rejects at once; the execution runs on for the others", async () => {
    const policy = singleflight();
    const { fn, calls } = manual();
    const controller = new AbortController();
    const leaving = track(policy.execute(fn, { key: "k", signal: controller.signal }));
    const staying = track(policy.execute(fn, { key: "k", signal: new AbortController().signal }));
    await settle();
    const reason = new Error("leaving");
    controller.abort(reason);
    await settle();
    assert.equal(leaving.outcome, reason);
    assert.equal(staying.settled, false);
    assert.equal(calls[0]!.ctx.signal.aborted, false);
    calls[0]!.resolve("done");
    await settle();
    assert.equal(staying.outcome, "done");
  });

  test("when every waiter aborts, the execution's signal aborts and the key is free at once", async () => {
    const policy = singleflight();
    const { fn, calls } = manual();
    const first = new AbortController();
    const second = new AbortController();
    const a = track(policy.execute(fn, { key: "k", signal: first.signal }));
    const b = track(policy.execute(fn, { key: "k", signal: second.signal }));
    await settle();
    first.abort(new Error("a"));
    await settle();
    assert.equal(calls[0]!.ctx.signal.aborted, false);
    const last = new Error("b");
    second.abort(last);
    await settle();
    assert.equal(calls[0]!.ctx.signal.aborted, true);
    assert.equal(calls[0]!.ctx.signal.reason, last);
    assert.ok(a.settled && b.settled);
    // A new call starts a new execution rather than joining the abandoned one.
    const c = track(policy.execute(fn, { key: "k" }));
    await settle();
    assert.equal(calls.length, 2);
    calls[0]!.reject(new Error("late")); // the abandoned execution's late failure reaches nobody
    calls[1]!.resolve("fresh");
    await settle();
    assert.equal(c.outcome, "fresh");
  });

  test("a waiter without a signal keeps the execution alive", async () => {
    const policy = singleflight();
    const { fn, calls } = manual();
    const controller = new AbortController();
    const quitter = track(policy.execute(fn, { key: "k", signal: controller.signal }));
    const patient = track(policy.execute(fn, { key: "k" }));
    await settle();
    controller.abort(new Error("bye"));
    await settle();
    assert.ok(quitter.settled);
    assert.equal(calls[0]!.ctx.signal.aborted, false);
    calls[0]!.resolve("v");
    await settle();
    assert.equal(patient.outcome, "v");
  });

  test("an already aborted signal rejects without joining or starting anything", async () => {
    const policy = singleflight();
    const reason = new Error("gone");
    let calls = 0;
    await assert.rejects(
      policy.execute(() => calls++, { key: "k", signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    await assert.rejects(
      policy.execute(() => calls++, { signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    assert.equal(calls, 0);
  });

  test("keys are Map keys (SameValueZero): NaN matches NaN, -0 matches 0, objects by identity", async () => {
    const policy = singleflight();
    const { fn, calls } = manual();
    const object = { id: 1 };
    const results = [Number.NaN, Number.NaN, 0, -0, object, { id: 1 }].map((key) =>
      policy.execute(fn, { key }),
    );
    await settle();
    assert.equal(calls.length, 4);
    calls.forEach((call, i) => call.resolve(String(i)));
    assert.deepEqual(await Promise.all(results), ["0", "0", "1", "1", "2", "3"]);
  });

  test("wrap() passes the key through: retries of concurrent callers share executions", async () => {
    const clock = new ManualClock();
    const policy = wrap(retry({ attempts: 2, clock, random: () => 0 }), singleflight());
    const { fn, calls } = manual();
    const a = track(policy.execute(fn, { key: "k" }));
    const b = track(policy.execute(fn, { key: "k" }));
    await settle();
    assert.equal(calls.length, 1);
    calls[0]!.reject(new Error("first attempt"));
    await clock.advance(0);
    assert.equal(calls.length, 2, "both retries joined one execution");
    assert.equal(calls[1]!.ctx.attempt, 2);
    calls[1]!.resolve("second");
    await settle();
    assert.deepEqual([a.outcome, b.outcome], ["second", "second"]);
  });
});
