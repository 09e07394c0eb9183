import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isTimeoutError } from "../../src/index.js";
import { retry } from "../../src/policy/retry.js";
import { timeout } from "../../src/policy/timeout.js";
import { wrap } from "../../src/policy/wrap.js";
import { type ChaosOptions, type ChaosPolicy, chaos } from "../../src/testing/chaos.js";
import { isChaosError } from "../../src/testing/chaos-error.js";
import { fakeClock } from "../../src/testing/fake-clock.js";
import { settle } from "../../src/testing/settle.js";

type Fate = "ok" | "fail" | "hang";

/**
 * Starts `calls` calls at once, each with its own signal, and reads each one's fate once
 * promises have settled: resolved (ok), rejected with a ChaosError (fail) or still pending
 * (hang). The hung calls are then aborted, and must reject with the abort's reason.
 */
async function fates(policy: ChaosPolicy, calls: number): Promise<Fate[]> {
  const controllers = Array.from({ length: calls }, () => new AbortController());
  const seen: (Fate | "other")[] = controllers.map(() => "hang");
  const settled = controllers.map((controller, i) =>
    policy
      .execute(() => "value", { signal: controller.signal })
      .then(
        () => {
          seen[i] = "ok";
        },
        (error: unknown) => {
          seen[i] = isChaosError(error) ? "fail" : "other";
          return error;
        },
      ),
  );
  await settle();
  const result = [...seen];
  const stop = new Error("stop hanging");
  for (const [i, controller] of controllers.entries()) {
    if (result[i] === "hang") controller.abort(stop);
  }
  const endings = await Promise.all(settled);
  for (const [i, fate] of result.entries()) {
    assert.notEqual(fate, "other", `call ${i + 1} failed with something else`);
    if (fate === "hang")
      assert.equal(endings[i], stop, `hung call ${i + 1} rejects with the reason`);
  }
  return result as Fate[];
}

const count = (list: readonly Fate[], fate: Fate): number =>
  list.filter((each) => each === fate).length;

describe("chaos", () => {
  test("is deterministic: the same seed gives the same fates, another seed others", async () => {
    const options: ChaosOptions = { failRate: 0.3, hangRate: 0.1, seed: 7 };
    const first = await fates(chaos(options), 500);
    const again = await fates(chaos(options), 500);
    const other = await fates(chaos({ ...options, seed: 8 }), 500);
    assert.deepEqual(again, first);
    assert.notDeepEqual(other, first);
  });

  test("the n-th call's fate depends only on the seed and n, not on timing", async () => {
    const options: ChaosOptions = { failRate: 0.4, latency: [1, 50], seed: 3 };
    const clock = fakeClock();
    const concurrent = chaos({ ...options, clock });
    const all = Array.from({ length: 50 }, (_, n) =>
      concurrent
        .execute(() => n)
        .then(
          () => "ok",
          () => "fail",
        ),
    );
    // Calls end in latency order, not call order.
    await clock.advance(50);
    const atOnce = await Promise.all(all);

    const oneByOne: string[] = [];
    const sequential = chaos({ ...options, clock });
    for (let n = 0; n < 50; n++) {
      const call = sequential
        .execute(() => n)
        .then(
          () => "ok",
          () => "fail",
        );
      await clock.advance(50);
      oneByOne.push(await call);
    }
    assert.deepEqual(atOnce, oneByOne);
    assert.ok(atOnce.includes("fail") && atOnce.includes("ok"));
  });

  test("fails and hangs at the given rates over 10,000 calls", async () => {
    for (const seed of [1, 2, 42]) {
      const policy = chaos({ failRate: 0.1, hangRate: 0.05, seed, clock: fakeClock() });
      const result = await fates(policy, 10_000);
      const failed = count(result, "fail");
      const hung = count(result, "hang");
      // Binomial standard deviations are 30 and 22: these bounds are about 3.5 of them.
      assert.ok(Math.abs(failed - 1_000) <= 105, `seed ${seed}: ${failed} failed`);
      assert.ok(Math.abs(hung - 500) <= 77, `seed ${seed}: ${hung} hung`);
      assert.equal(policy.calls, 10_000);
      assert.equal(policy.failures, failed);
      assert.equal(policy.hangs, hung);
    }
  });

  test("rates of 0 and 1 are exact", async () => {
    assert.equal(count(await fates(chaos({}), 1_000), "ok"), 1_000);
    assert.equal(count(await fates(chaos({ failRate: 1 }), 1_000), "fail"), 1_000);
    assert.equal(count(await fates(chaos({ hangRate: 1 }), 1_000), "hang"), 1_000);
    const split = await fates(chaos({ failRate: 0.5, hangRate: 0.5 }), 1_000);
    assert.equal(count(split, "ok"), 0);
  });

  test("waits the latency on the clock before calling the function", async () => {
    const clock = fakeClock();
    const policy = chaos({ latency: 50, clock });
    let calls = 0;
    const result = policy.execute(() => ++calls);
    await clock.advance(49);
    assert.equal(calls, 0);
    await clock.advance(1);
    assert.equal(calls, 1);
    assert.equal(await result, 1);
    assert.deepEqual(clock.delays, [50]);
    assert.equal(clock.pending, 0);
  });

  test("a failed call waits its latency too, then throws", async () => {
    const clock = fakeClock();
    const policy = chaos({ failRate: 1, latency: "20ms", clock });
    let outcome: unknown = "pending";
    policy
      .execute(() => "never")
      .catch((error: unknown) => {
        outcome = error;
      });
    await clock.advance(19);
    assert.equal(outcome, "pending");
    await clock.advance(1);
    assert.ok(isChaosError(outcome));
  });

  test("a [min, max] latency draws each call's delay in the range, the same for a seed", async () => {
    const delays = async (seed: number): Promise<number[]> => {
      const clock = fakeClock();
      const policy = chaos({ latency: [10, "20ms"], seed, clock });
      const calls = Array.from({ length: 200 }, () => policy.execute(() => undefined));
      await clock.advance(20);
      await Promise.all(calls);
      return clock.delays;
    };
    const first = await delays(5);
    assert.equal(first.length, 200);
    assert.ok(first.every((ms) => ms >= 10 && ms <= 20));
    assert.ok(Math.min(...first) < 11 && Math.max(...first) > 19, "spread over the range");
    assert.deepEqual(await delays(5), first);
    assert.notDeepEqual(await delays(6), first);
  });

  test("no latency sets no timer", async () => {
    const clock = fakeClock();
    const policy = chaos({ failRate: 0.5, clock });
    await Promise.allSettled(Array.from({ length: 20 }, () => policy.execute(() => 1)));
    assert.deepEqual(clock.delays, []);
  });

  test("aborting during the latency rejects with the reason and clears the timer", async () => {
    const clock = fakeClock();
    const policy = chaos({ latency: 100, clock });
    const controller = new AbortController();
    let called = false;
    const result = policy.execute(
      () => {
        called = true;
      },
      { signal: controller.signal },
    );
    await clock.advance(10);
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(result, (error) => error === reason);
    assert.equal(clock.pending, 0);
    await clock.advance(200);
    assert.equal(called, false);
  });

  test("a hung call never runs the function and rejects with the signal's reason when it aborts", async () => {
    const clock = fakeClock();
    const policy = chaos({ hangRate: 1, latency: 10, clock });
    const controller = new AbortController();
    let called = false;
    let outcome: unknown = "pending";
    policy
      .execute(
        () => {
          called = true;
        },
        { signal: controller.signal },
      )
      .catch((error: unknown) => {
        outcome = error;
      });
    await clock.advance(1_000_000);
    assert.equal(outcome, "pending", "still hanging after any amount of time");
    assert.equal(clock.pending, 0, "a hang holds no timer");
    const reason = new Error("give up");
    controller.abort(reason);
    await settle();
    assert.equal(outcome, reason);
    assert.equal(called, false);
    assert.equal(policy.hangs, 1);
  });

  test("a call whose signal has already aborted rejects at once, and still counts", async () => {
    const policy = chaos({});
    const reason = new Error("already");
    await assert.rejects(
      policy.execute(() => 1, { signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    assert.equal(policy.calls, 1);
  });

  test("a failed call throws a ChaosError naming the call and the seed", async () => {
    const policy = chaos({ failRate: 1, seed: 9 });
    await policy.execute(() => 1).catch(() => {});
    await assert.rejects(
      policy.execute(() => 1),
      (error: unknown) => {
        assert.ok(isChaosError(error));
        assert.equal(error.code, "ERR_SLUICE_CHAOS");
        assert.equal(error.call, 2);
        assert.equal(error.seed, 9);
        assert.equal(error.message, "Chaos: call #2 failed on purpose (seed 9)");
        return true;
      },
    );
  });

  test("error(n) decides what a failed call throws", async () => {
    const seen: number[] = [];
    const policy = chaos({
      failRate: 1,
      error: (n) => {
        seen.push(n);
        return { status: 503 };
      },
    });
    await assert.rejects(
      policy.execute(() => 1),
      { status: 503 },
    );
    await assert.rejects(
      policy.execute(() => 1),
      { status: 503 },
    );
    assert.deepEqual(seen, [1, 2]);
  });

  test("passes the caller's signal and attempt on to the function", async () => {
    const controller = new AbortController();
    const seen = await chaos({}).execute((ctx) => ctx, { signal: controller.signal, attempt: 3 });
    assert.equal(seen.signal, controller.signal);
    assert.equal(seen.attempt, 3);
    const alone = await chaos({}).execute((ctx) => ctx);
    assert.equal(alone.attempt, 1);
    assert.equal(alone.signal.aborted, false);
  });

  test("under wrap(retry, timeout, chaos) failures are retried and hangs timed out", async () => {
    const clock = fakeClock();
    const inner = chaos({ failRate: 0.5, hangRate: 0.2, latency: 5, seed: 11, clock });
    const policy = wrap(
      retry({ attempts: 5, backoff: 5, clock, random: () => 0.5 }),
      timeout(100, { clock }),
      inner,
    );
    const outcomes: unknown[] = [];
    for (let n = 0; n < 30; n++) {
      const call = policy
        .execute(() => "ok")
        .then(
          (value) => value,
          (error: unknown) => error,
        );
      await clock.runAll();
      outcomes.push(await call);
    }
    assert.ok(inner.hangs > 0 && inner.failures > 0);
    assert.equal(inner.calls > 30, true, "retries made more calls than callers");
    for (const outcome of outcomes) {
      assert.ok(
        outcome === "ok" || isChaosError(outcome) || isTimeoutError(outcome),
        String(outcome),
      );
    }
    assert.equal(clock.pending, 0);
  });
});
