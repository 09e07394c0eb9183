import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { elastic, from } from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

describe("elastic()", () => {
  test("grows by a quarter (at least 1) per look while the input is 80% full, up to max", () => {
    const limiter = elastic({ min: 2, max: 10, idle: 1_000 });
    assert.equal(limiter.limit, 2);
    const seen: number[] = [];
    for (let t = 0; t < 8; t++) {
      limiter.observeInput!(0.9, t * 100);
      seen.push(limiter.limit);
    }
    assert.deepEqual(seen, [3, 4, 5, 6, 7, 8, 10, 10]);
  });

  test("halves after the input has been nearly empty for idle, again after each idle spell, down to min", () => {
    const limiter = elastic({ min: 2, max: 64, idle: 1_000, initial: 40 });
    limiter.observeInput!(0.01, 0);
    limiter.observeInput!(0.02, 900);
    assert.equal(limiter.limit, 40, "not yet idle for 1 s");
    limiter.observeInput!(0, 1_000);
    assert.equal(limiter.limit, 20);
    limiter.observeInput!(0.3, 1_500); // some work: the idle spell starts again
    limiter.observeInput!(0, 1_600);
    limiter.observeInput!(0, 2_500);
    assert.equal(limiter.limit, 20);
    for (let t = 2_600; t <= 9_000; t += 100) limiter.observeInput!(0, t);
    assert.equal(limiter.limit, 2);
  });

  test("looks every idle / 10, from 10 ms to 1 s", () => {
    assert.equal(elastic({ min: 1, max: 2, idle: "30s" }).observeEvery, 1_000);
    assert.equal(elastic({ min: 1, max: 2, idle: 500 }).observeEvery, 50);
    assert.equal(elastic({ min: 1, max: 2, idle: 20 }).observeEvery, 10);
  });

  test("in a stage: widens under a backlog, narrows when it is gone", async () => {
    const limits: number[] = [];
    async function* bursty() {
      for (let i = 0; i < 200; i++) yield i;
      // A quiet spell, long against `idle`: the width should come down.
      await sleep(400);
      yield 200;
    }
    let inside = 0;
    let most = 0;
    const run = from(bursty(), { buffer: 64 })
      .map(
        async (x: number) => {
          inside++;
          most = Math.max(most, inside);
          await sleep(2);
          inside--;
          return x;
        },
        { concurrency: elastic({ min: 1, max: 16, idle: "40ms" }), buffer: 16 },
      )
      .run();
    const timer = setInterval(() => limits.push(run.stats().stages[0]!.limit), 10);
    const out = await run.collect();
    clearInterval(timer);
    assert.equal(out.length, 201);
    const peak = Math.max(...limits);
    assert.ok(peak > 4, `the width grew under the backlog (peak ${peak})`);
    assert.ok(most <= 16);
    const last = limits.at(-1)!;
    assert.ok(last < peak, `the width came down in the quiet spell (${limits.join(",")})`);
    assertConserved(await run.settled);
  });

  test("bad options name the option", () => {
    assertInvalid(
      () => elastic({ min: 5, max: 2 }),
      "Expected `elastic.min` to be <= `elastic.max` (2), got `5` (number)",
      "elastic.min",
    );
    assertInvalid(
      () => elastic({ min: 0, max: 2 }),
      "Expected `elastic.min` to be an integer >= 1, got `0` (number)",
      "elastic.min",
    );
    assertInvalid(
      () => elastic({ max: 2 } as never),
      "Expected `elastic.min` to be an integer >= 1, got `undefined` (undefined)",
      "elastic.min",
    );
    assertInvalid(
      () => elastic({ min: 1, max: 2, idle: -1 }),
      'Expected `elastic.idle` to be a duration > 0 ms (a number of ms or a string such as "100ms", "30s"), got `-1` (number)',
      "elastic.idle",
    );
    assertInvalid(
      () => elastic({ min: 1, max: 4, initial: 9 }),
      "Expected `elastic.initial` to be an integer from 1 to 4, got `9` (number)",
      "elastic.initial",
    );
  });
});
