import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { StageContext } from "../../src/index.js";
import { timedFn } from "../../src/tune/timed-fn.js";

const ctx = {} as StageContext;

describe("timedFn()", () => {
  test("a sync function stays sync and its call is timed", () => {
    const durations: number[] = [];
    const timed = timedFn((n) => (n as number) * 2, durations);
    assert.equal(timed(21, ctx), 42);
    assert.equal(durations.length, 1);
    assert.ok(durations[0]! >= 0);
  });

  test("an async call is timed when it settles", async () => {
    const durations: number[] = [];
    const timed = timedFn(
      (n) => new Promise((resolve) => setTimeout(() => resolve(n), 5)),
      durations,
    );
    const result = timed(7, ctx);
    assert.ok(result instanceof Promise);
    assert.equal(durations.length, 0);
    assert.equal(await result, 7);
    assert.equal(durations.length, 1);
    assert.ok(durations[0]! >= 4, `${durations[0]}`);
  });

  test("a sync throw is timed and thrown unchanged", () => {
    const durations: number[] = [];
    const boom = new Error("boom");
    const timed = timedFn(() => {
      throw boom;
    }, durations);
    assert.throws(
      () => timed(1, ctx),
      (error) => error === boom,
    );
    assert.equal(durations.length, 1);
  });

  test("a rejection is timed and passed on unchanged", async () => {
    const durations: number[] = [];
    const boom = new Error("boom");
    const timed = timedFn(() => Promise.reject(boom), durations);
    await assert.rejects(Promise.resolve(timed(1, ctx)), (error) => error === boom);
    assert.equal(durations.length, 1);
  });

  test("passes the item and the context through", () => {
    const seen: unknown[] = [];
    const timed = timedFn((item, context) => seen.push(item, context), []);
    timed("x", ctx);
    assert.deepEqual(seen, ["x", ctx]);
  });
});
