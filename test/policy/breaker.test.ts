import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BrokenCircuitError, isBrokenCircuitError } from "../../src/errors/broken-circuit-error.js";
import { breaker } from "../../src/policy/breaker.js";
import { retry } from "../../src/policy/retry.js";
import { wrap } from "../../src/policy/wrap.js";
import { assertInvalid } from "../helpers/assert-invalid.js";
import { ManualClock } from "../helpers/manual-clock.js";

const fail = (): never => {
  throw new Error("down");
};

describe("breaker()", () => {
  test("opens after 5 consecutive failures: the next call rejects at once without calling the function", async () => {
    const clock = new ManualClock();
    const policy = breaker({ clock });
    let calls = 0;
    const counted = (): never => {
      calls++;
      return fail();
    };
    for (let i = 0; i < 5; i++) await assert.rejects(policy.execute(counted), /down/);
    assert.equal(policy.state(), "open");
    await assert.rejects(policy.execute(counted), (error: unknown) => {
      assert.ok(error instanceof BrokenCircuitError);
      assert.equal(error.code, "ERR_SLUICE_CIRCUIT_OPEN");
      assert.equal(error.retryAfter, 30_000);
      assert.equal((error.cause as Error).message, "down");
      return true;
    });
    assert.equal(calls, 5);
  });

  test("after halfOpenAfter one probe goes through; its success closes the circuit", async () => {
    const clock = new ManualClock();
    const policy = breaker({ failures: 2, halfOpenAfter: "1s", clock });
    for (let i = 0; i < 2; i++) await assert.rejects(policy.execute(fail));
    await clock.advance(1_000);
    let release!: (value: string) => void;
    const probe = policy.execute(() => new Promise<string>((resolve) => (release = resolve)));
    await assert.rejects(
      policy.execute(() => "not a probe"),
      isBrokenCircuitError,
    );
    release("probe ok");
    assert.equal(await probe, "probe ok");
    assert.equal(policy.state(), "closed");
    assert.equal(await policy.execute(() => "ok"), "ok");
  });

  test("keys circuits by execute's options.key, also through wrap()", async () => {
    const clock = new ManualClock();
    const policy = wrap(retry({ attempts: 1, clock }), breaker({ failures: 1, clock }));
    await assert.rejects(policy.execute(fail, { key: "host-a" }), /down/);
    await assert.rejects(
      policy.execute(() => "x", { key: "host-a" }),
      (error: unknown) => {
        assert.ok(isBrokenCircuitError(error));
        assert.equal(error.key, "host-a");
        return true;
      },
    );
    assert.equal(await policy.execute(() => "b", { key: "host-b" }), "b");
    assert.equal(await policy.execute(() => "none"), "none");
  });

  test("an abort by the caller's own signal counts neither as a failure nor as a success", async () => {
    const clock = new ManualClock();
    const policy = breaker({ failures: 1, halfOpenAfter: 100, clock });
    const controller = new AbortController();
    const aborted = policy.execute(
      (ctx) => {
        controller.abort();
        throw ctx.signal.reason;
      },
      { signal: controller.signal },
    );
    await assert.rejects(aborted, { name: "AbortError" });
    assert.equal(policy.state(), "closed");
    // A half-open probe aborted by its caller frees the probe slot.
    await assert.rejects(policy.execute(fail));
    await clock.advance(100);
    const second = new AbortController();
    const probe = policy.execute(
      (ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error)),
        ),
      { signal: second.signal },
    );
    second.abort();
    await assert.rejects(probe, { name: "AbortError" });
    assert.equal(policy.state(), "half-open");
    assert.equal(await policy.execute(() => "next probe"), "next probe");
    assert.equal(policy.state(), "closed");
  });

  test("an AbortError without the caller aborting counts as a failure", async () => {
    const policy = breaker({ failures: 1, clock: new ManualClock() });
    await assert.rejects(
      policy.execute(() => {
        throw new DOMException("inner timeout", "AbortError");
      }),
      { name: "AbortError" },
    );
    assert.equal(policy.state(), "open");
  });

  test("passes the caller's signal and attempt, and rejects an aborted signal without a call", async () => {
    const policy = breaker({ clock: new ManualClock() });
    const controller = new AbortController();
    const ctx = await policy.execute((c) => c, { signal: controller.signal, attempt: 2 });
    assert.equal(ctx.signal, controller.signal);
    assert.equal(ctx.attempt, 2);
    const reason = new Error("gone");
    let calls = 0;
    await assert.rejects(
      policy.execute(() => calls++, { signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    assert.equal(calls, 0);
  });

  test("options: the key function is a stage option; clock and mode are checked", () => {
    const loose = (options: unknown): unknown =>
      (breaker as unknown as (options: unknown) => unknown)(options);
    assertInvalid(
      () => loose({ key: () => 1 }),
      "Option `breaker.key` is a stage's breaker option; a standalone breaker() keys each call by `execute(fn, { key })`",
      "breaker.key",
    );
    assertInvalid(
      () => loose({ clock: 5 }),
      "Expected `breaker.clock` to be a clock (an object with now, setTimeout and clearTimeout), got `5` (number)",
      "breaker.clock",
    );
    assertInvalid(
      () => loose({ failures: 0 }),
      "Expected `breaker.failures` to be an integer >= 1, got `0` (number)",
      "breaker.failures",
    );
    assertInvalid(
      () => loose({ halfOpenAfter: "1 week" }),
      'Expected `breaker.halfOpenAfter` to be a duration > 0 ms (a number of ms or a string such as "100ms", "30s"), got `"1 week"` (string)',
      "breaker.halfOpenAfter",
    );
    breaker();
  });
});
