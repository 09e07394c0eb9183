import assert from "node:assert/strict";
import { setImmediate as realImmediate } from "node:timers";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { from } from "../../src/index.js";
import { RateGate } from "../../src/limit/rate-gate.js";
import { thread } from "../../src/threads/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

const T0 = 1_000_000;
const turn = () => new Promise<void>((resolve) => realImmediate(resolve));

/** Advances the fake clock `ms` in steps of `step`, letting the run take its turns between. */
async function advance(ms: number, step = 5): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await turn();
    await turn();
    mock.timers.tick(step);
  }
  await turn();
  await turn();
}

describe("rateLimit (fake clock)", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: T0 }));
  afterEach(() => mock.timers.reset());

  test("one bucket for the stage: at most burst + rate × elapsed calls start", async () => {
    const starts: number[] = [];
    const run = from(Array.from({ length: 25 }, (_, i) => i))
      .forEach(
        () => {
          starts.push(Date.now() - T0);
        },
        { rateLimit: { rate: 10, per: "1s", burst: 3 } },
      )
      .run();
    const drained = run.drain();
    await advance(2_500);
    const summary = await drained;
    assert.equal(starts.length, 25);
    assert.deepEqual(starts.slice(0, 3), [0, 0, 0], "the burst starts at once");
    for (let k = 0; k < starts.length; k++) {
      // Item k needs k + 1 tokens: 3 at hand, one more every 100 ms.
      assert.ok(starts[k]! >= (k + 1 - 3) * 100, `item ${k} started at ${starts[k]} ms`);
    }
    assert.ok(starts[24]! <= 2_200 + 10, `the last started at ${starts[24]} ms: the rate is met`);
    assertConserved(summary);
  });

  test("per key: a key without a token waits in its line; other keys go on", async () => {
    const items = Array.from({ length: 15 }, (_, i) => ({ host: "abc"[i % 3]!, i }));
    const starts = new Map<string, number[]>();
    const run = from(items)
      .map(
        (item) => {
          const list = starts.get(item.host) ?? [];
          list.push(Date.now() - T0);
          starts.set(item.host, list);
          return item.i;
        },
        { ordered: true, rateLimit: { rate: 1, per: 100, burst: 1, key: (item) => item.host } },
      )
      .run();
    const collected = run.collect();
    await advance(600);
    assert.deepEqual(
      await collected,
      Array.from({ length: 15 }, (_, i) => i),
      "in input order",
    );
    for (const host of "abc") {
      assert.deepEqual(starts.get(host), [0, 100, 200, 300, 400], `host ${host}`);
    }
    assertConserved(await run.settled);
  });

  test("with weights: a waiting item holds no weight, and starts when its token comes and its weight fits", async () => {
    const starts: [number, number][] = [];
    let weightInside = 0;
    let most = 0;
    const items = Array.from({ length: 12 }, (_, i) => ({
      host: "ab"[i % 2]!,
      mb: 1 + (i % 3),
      i,
    }));
    const run = from(items)
      .map(
        async (item) => {
          starts.push([item.i, Date.now() - T0]);
          weightInside += item.mb;
          most = Math.max(most, weightInside);
          await new Promise((resolve) => setTimeout(resolve, 30));
          weightInside -= item.mb;
          return item.i;
        },
        {
          concurrency: 4,
          weight: (item) => item.mb,
          rateLimit: { rate: 1, per: 50, burst: 1, key: (item) => item.host },
        },
      )
      .run();
    const collected = run.collect();
    await advance(1_000);
    assert.deepEqual(
      (await collected).sort((a, b) => a - b),
      items.map((item) => item.i),
    );
    assert.ok(most <= 4, `at most 4 MB in flight, saw ${most}`);
    for (const host of "ab") {
      const times = starts.filter(([i]) => items[i]!.host === host).map(([, t]) => t);
      // Its k-th start needs k + 1 tokens: 1 at hand, one more every 50 ms.
      times.forEach((t, k) => assert.ok(t >= k * 50, `host ${host} started at ${times}`));
    }
    assertConserved(await run.settled);
  });

  test("a stop while items wait for tokens counts them as cancelled", async () => {
    const run = from(Array.from({ length: 40 }, (_, i) => i))
      .map((x: number) => x, { rateLimit: { rate: 1, per: 1_000, burst: 1, key: (x) => x % 4 } })
      .run();
    const collected = run.collect().catch((error: unknown) => error);
    await advance(50);
    const summary = await run.cancel(new Error("enough"));
    assert.ok((await collected) instanceof Error);
    assert.ok(summary.stages[0]!.cancelled > 0);
    assertConserved(summary);
  });

  test("a key that throws fails that item through the error policy", async () => {
    const run = from([1, 2, 3])
      .map((x: number) => x, {
        onError: "skip",
        rateLimit: {
          rate: 100,
          key: (x) => {
            if (x === 2) throw new Error("no key");
            return x;
          },
        },
      })
      .run();
    const collected = run.collect();
    await advance(50);
    assert.deepEqual((await collected).sort(), [1, 3]);
    assert.equal((await run.settled).stages[0]!.failed, 1);
  });
});

describe("rateLimit with an ordered flatMap", () => {
  test(
    "a later item of another key does not take the slot an earlier waiting item needs",
    { timeout: 10_000 },
    async () => {
      // Items 0 and 1 share a key: item 1 waits 20 ms for its token. Item 2 has its own key and
      // a token at once; starting it would fill the only slot with an item waiting for item 1's
      // turn, which could then never start.
      const out = await from(["a", "a", "b", "a", "c"])
        .flatMap(
          async function* (key: string) {
            await Promise.resolve();
            yield key;
          },
          {
            concurrency: 1,
            ordered: true,
            rateLimit: { rate: 1, per: 20, burst: 1, key: (k) => k },
          },
        )
        .run()
        .collect();
      assert.deepEqual(out, ["a", "a", "b", "a", "c"]);
    },
  );
});

describe("rateLimit buckets", () => {
  test("a bucket that has refilled with nothing waiting is dropped: a million keys leave no trace", () => {
    const gate = new RateGate({ rate: 1, per: 10, burst: 1, key: (x) => x }, 0);
    let most = 0;
    let now = 0;
    for (let i = 0; i < 1_000_000; i++) {
      if (i % 1_000 === 0) now++;
      assert.equal(gate.takeOrWait(i, { item: i, index: i, weight: 0 }, now), 0);
      most = Math.max(most, gate.buckets);
    }
    assert.ok(most < 40_000, `at most ${most} buckets held at once`);
  });

  test("a million distinct keys through a stage leave the heap where it started", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    let middle = 0;
    await from(
      (function* () {
        for (let i = 0; i < 1_000_000; i++) yield i;
      })(),
    )
      .forEach(
        (i: number) => {
          if (i === 900_000) {
            gc();
            middle = process.memoryUsage().heapUsed;
          }
        },
        { rateLimit: { rate: 1, per: 1, burst: 1, key: (i) => `key-${i}` } },
      )
      .run();
    const growth = (middle - before) / 1024 / 1024;
    assert.ok(growth < 20, `the heap grew ${growth.toFixed(1)} MB with 900k keys seen`);
  });
});

describe("rateLimit options", () => {
  test("bad values name the option", () => {
    for (const rate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "5"]) {
      assertInvalid(
        () => from([1]).map((x) => x, { rateLimit: { rate: rate as number } }),
        `Expected \`map.rateLimit.rate\` to be a number > 0, got ${typeof rate === "string" ? `\`"${rate}"\` (string)` : `\`${rate}\` (number)`}`,
        "map.rateLimit.rate",
      );
    }
    assertInvalid(
      () => from([1]).map((x) => x, { rateLimit: { rate: 1, per: "0s" } }),
      'Expected `map.rateLimit.per` to be a duration > 0 ms (a number of ms or a string such as "100ms", "30s"), got `"0s"` (string)',
      "map.rateLimit.per",
    );
    assertInvalid(
      () => from([1]).map((x) => x, { rateLimit: { rate: 1, burst: 0 } }),
      "Expected `map.rateLimit.burst` to be an integer >= 1, got `0` (number)",
      "map.rateLimit.burst",
    );
    assertInvalid(
      () => from([1]).map((x) => x, { rateLimit: { rate: 1, key: "host" as never } }),
      'Expected `map.rateLimit.key` to be a function, got `"host"` (string)',
      "map.rateLimit.key",
    );
    assertInvalid(
      () => from([1]).map((x) => x, { rateLimit: { rate: 1, every: 2 } as never }),
      "Unknown option `map.rateLimit.every`. Known options: rate, per, burst, key",
      "map.rateLimit.every",
    );
    assert.throws(
      () =>
        from([1]).map(thread(new URL("../threads/fixtures/double.worker.js", import.meta.url)), {
          rateLimit: { rate: 1 },
        }),
      /`map.rateLimit` applies to stages that run on the event loop/,
    );
  });
});
