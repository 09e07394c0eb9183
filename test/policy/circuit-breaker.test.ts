import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isBrokenCircuitError } from "../../src/errors/broken-circuit-error.js";
import {
  type BreakerSettings,
  breakerSettings,
  CircuitBreakers,
  type CircuitStateChange,
} from "../../src/policy/circuit-breaker.js";
import { ManualClock } from "../helpers/manual-clock.js";

/** Breakers with the defaults of `breakerSettings` overridden by `options`. */
function breakers(
  clock: ManualClock,
  options: Record<string, unknown> = {},
  changes?: CircuitStateChange[],
): CircuitBreakers {
  const settings: BreakerSettings = breakerSettings("test", {
    ...options,
    ...(changes === undefined ? {} : { onStateChange: (c: CircuitStateChange) => changes.push(c) }),
  });
  return new CircuitBreakers(settings, clock);
}

/** Admits a call for `key` and records its outcome; returns the refusal, if any. */
function call(b: CircuitBreakers, key: unknown, ok: boolean): unknown {
  const refused = b.admit(key);
  if (refused === undefined) b.record(key, ok, ok ? undefined : new Error(`fail ${String(key)}`));
  return refused;
}

describe("CircuitBreakers", () => {
  test("opens after 5 consecutive failures and refuses with the ms left until it half-opens", async () => {
    const clock = new ManualClock();
    const b = breakers(clock, { halfOpenAfter: "30s" });
    for (let i = 0; i < 4; i++) assert.equal(call(b, undefined, false), undefined);
    assert.equal(b.state(), "closed");
    assert.equal(call(b, undefined, false), undefined);
    assert.equal(b.state(), "open");
    await clock.advance(1_000);
    const refused = b.admit(undefined);
    assert.ok(isBrokenCircuitError(refused));
    assert.equal(refused.retryAfter, 29_000);
    assert.equal(refused.key, undefined);
    assert.equal(
      refused.message,
      "Circuit is open after 5 consecutive failures; failing fast for another 29000 ms",
    );
    assert.equal((refused.cause as Error).message, "fail undefined");
  });

  test("a success resets the count of consecutive failures", () => {
    const b = breakers(new ManualClock(), { failures: 3 });
    call(b, "k", false);
    call(b, "k", false);
    call(b, "k", true);
    call(b, "k", false);
    call(b, "k", false);
    assert.equal(b.state("k"), "closed");
    call(b, "k", false);
    assert.equal(b.state("k"), "open");
  });

  test("half-open lets halfOpenProbes calls through; a probe success closes it", async () => {
    const clock = new ManualClock();
    const changes: CircuitStateChange[] = [];
    const b = breakers(clock, { failures: 1, halfOpenAfter: 100, halfOpenProbes: 2 }, changes);
    call(b, "k", false);
    await clock.advance(100);
    assert.equal(b.admit("k"), undefined);
    assert.equal(b.admit("k"), undefined);
    assert.ok(isBrokenCircuitError(b.admit("k")), "the third call is refused");
    b.record("k", true);
    assert.equal(b.state("k"), "closed");
    assert.equal(b.admit("k"), undefined);
    assert.deepEqual(changes, [
      { key: "k", from: "closed", to: "open" },
      { key: "k", from: "open", to: "half-open" },
      { key: "k", from: "half-open", to: "closed" },
    ]);
  });

  test("a probe failure reopens it for a fresh halfOpenAfter", async () => {
    const clock = new ManualClock();
    const b = breakers(clock, { failures: 1, halfOpenAfter: 100 });
    call(b, "k", false);
    await clock.advance(150);
    assert.equal(b.admit("k"), undefined);
    b.record("k", false, new Error("probe"));
    assert.equal(b.state("k"), "open");
    const refused = b.admit("k");
    assert.ok(isBrokenCircuitError(refused));
    assert.equal(refused.retryAfter, 100);
    assert.match(refused.message, /after a half-open probe failed/);
    await clock.advance(99);
    assert.ok(isBrokenCircuitError(b.admit("k")));
    await clock.advance(1);
    assert.equal(b.admit("k"), undefined);
  });

  test("outcomes of calls admitted before it opened are ignored while open and before a probe", async () => {
    const clock = new ManualClock();
    const b = breakers(clock, { failures: 2, halfOpenAfter: 100 });
    // Four calls in flight; two fail and open the circuit.
    for (let i = 0; i < 4; i++) assert.equal(b.admit("k"), undefined);
    b.record("k", false);
    b.record("k", false);
    assert.equal(b.state("k"), "open");
    b.record("k", true); // late, while open: ignored
    assert.equal(b.state("k"), "open");
    await clock.advance(100);
    b.record("k", true); // late, half-open before any probe: ignored
    assert.equal(b.state("k"), "half-open");
    assert.equal(b.admit("k"), undefined);
    b.record("k", false); // the probe's own outcome
    assert.equal(b.state("k"), "open");
  });

  test("a probe that never reports frees its slot after halfOpenAfter", async () => {
    const clock = new ManualClock();
    const b = breakers(clock, { failures: 1, halfOpenAfter: 100 });
    call(b, "k", false);
    await clock.advance(100);
    assert.equal(b.admit("k"), undefined); // the probe, never reported
    await clock.advance(99);
    const refused = b.admit("k");
    assert.ok(isBrokenCircuitError(refused));
    assert.equal(refused.retryAfter, 1);
    await clock.advance(1);
    assert.equal(b.admit("k"), undefined, "a new probe");
  });

  test("release frees a probe's slot without deciding anything", async () => {
    const clock = new ManualClock();
    const b = breakers(clock, { failures: 1, halfOpenAfter: 100 });
    call(b, "k", false);
    await clock.advance(100);
    assert.equal(b.admit("k"), undefined);
    b.release("k");
    assert.equal(b.state("k"), "half-open");
    assert.equal(b.admit("k"), undefined);
  });

  test("rate mode opens at the rate once minCalls calls are in the window, and forgets calls that slid out", async () => {
    const clock = new ManualClock();
    const b = breakers(clock, { rate: 0.5, minCalls: 4, window: 1_000 });
    call(b, "k", false);
    call(b, "k", false);
    call(b, "k", false);
    assert.equal(b.state("k"), "closed", "3 failures, but fewer than minCalls calls");
    await clock.advance(1_000);
    // The three failures have slid out: 1 failure in 4 calls is under the rate.
    call(b, "k", true);
    call(b, "k", true);
    call(b, "k", true);
    call(b, "k", false);
    assert.equal(b.state("k"), "closed");
    call(b, "k", false);
    call(b, "k", false);
    assert.equal(b.state("k"), "open");
    const refused = b.admit("k");
    assert.ok(isBrokenCircuitError(refused));
    assert.match(refused.message, /^Circuit for key `"k"` is open after 3 failures in 6 calls;/);
  });

  test("rate 1 opens only when every call in the window failed", () => {
    const b = breakers(new ManualClock(), { rate: 1, minCalls: 2 });
    call(b, "k", true);
    for (let i = 0; i < 20; i++) call(b, "k", false);
    assert.equal(b.state("k"), "closed");
    const c = breakers(new ManualClock(), { rate: 1, minCalls: 2 });
    call(c, "k", false);
    call(c, "k", false);
    assert.equal(c.state("k"), "open");
  });

  test("each key has its own circuit; keys are Map keys", () => {
    const b = breakers(new ManualClock(), { failures: 1 });
    const objectKey = { host: "a" };
    call(b, objectKey, false);
    call(b, Number.NaN, false);
    assert.equal(b.state(objectKey), "open");
    assert.equal(b.state({ host: "a" }), "closed");
    assert.equal(b.state(Number.NaN), "open");
    assert.equal(b.admit("other"), undefined);
    assert.equal(b.size, 3);
  });

  test("an idle key is dropped by later admits, with no timer", async () => {
    const clock = new ManualClock();
    const b = breakers(clock, { idle: 1_000 });
    call(b, "a", false);
    call(b, "b", true);
    await clock.advance(1_000);
    call(b, "c", true);
    assert.equal(b.size, 1);
    assert.equal(clock.pending, 0);
    // "a" starts afresh: its failure was forgotten with its state.
    for (let i = 0; i < 4; i++) call(b, "a", false);
    assert.equal(b.state("a"), "closed");
  });

  test("an open circuit is not dropped before it may half-open, however idle", async () => {
    const clock = new ManualClock();
    const b = breakers(clock, { failures: 1, idle: 100, halfOpenAfter: 1_000 });
    call(b, "down", false);
    await clock.advance(500);
    call(b, "x", true);
    assert.equal(b.state("down"), "open");
    assert.equal(b.size, 2);
    await clock.advance(500);
    call(b, "y", true);
    // Both "down" (now due to half-open) and "x" were idle: the sweep dropped them.
    assert.equal(b.size, 1, "dropped once it could half-open");
    assert.equal(b.state("down"), "closed");
  });

  test("at maxKeys a new key evicts the least recently used closed key, never an open one", () => {
    const clock = new ManualClock();
    const b = breakers(clock, { failures: 1, maxKeys: 3 });
    call(b, "open", false);
    call(b, "a", true);
    call(b, "b", true);
    call(b, "a", true); // "b" is now the least recently used closed key
    call(b, "c", true);
    assert.equal(b.size, 3);
    assert.equal(b.state("open"), "open");
    assert.equal(b.state("b"), "closed");
    call(b, "b", false); // "b" was evicted ("a" goes now): this failure opens a fresh circuit
    assert.equal(b.size, 3);
    assert.equal(b.state("b"), "open");
    assert.equal(b.state("c"), "closed");
    assert.equal(b.state("open"), "open");
  });

  test("when every held key is open, a new key is admitted without state and its outcome is not counted", () => {
    const b = breakers(new ManualClock(), { failures: 1, maxKeys: 2 });
    call(b, "x", false);
    call(b, "y", false);
    assert.equal(call(b, "z", false), undefined);
    assert.equal(call(b, "z", false), undefined);
    assert.equal(b.size, 2);
    assert.equal(b.state("z"), "closed");
    assert.equal(b.state("x"), "open");
  });

  test("a listener that throws leaves the state whole and surfaces as an uncaught exception", async () => {
    const b = new CircuitBreakers(
      {
        ...breakerSettings("test", { failures: 1 }),
        onStateChange: () => {
          throw new Error("listener bug");
        },
      },
      new ManualClock(),
    );
    const uncaught: unknown[] = [];
    const listener = (error: unknown): void => void uncaught.push(error);
    const previous = process.listeners("uncaughtException");
    process.removeAllListeners("uncaughtException");
    process.on("uncaughtException", listener);
    try {
      assert.equal(call(b, "k", false), undefined);
      assert.equal(b.state("k"), "open");
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("uncaughtException", listener);
      for (const l of previous) process.on("uncaughtException", l);
    }
    assert.equal((uncaught[0] as Error).message, "listener bug");
  });
});
