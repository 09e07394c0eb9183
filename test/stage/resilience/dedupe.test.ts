import assert from "node:assert/strict";
import { test } from "node:test";
import { from } from "../../../src/index.js";
import { assertConserved } from "../../helpers/conservation.js";

test("items with the same key in flight together share one call and its result", async () => {
  let calls = 0;
  const release: (() => void)[] = [];
  const run = from(["a", "b", "a", "a", "b", "c"])
    .map(
      (key: string) => {
        calls++;
        return new Promise<string>((resolve) => release.push(() => resolve(key.toUpperCase())));
      },
      { concurrency: 6, dedupe: (key) => key, ordered: true },
    )
    .run();
  const values = run.collect();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(calls, 3);
  for (const go of release) go();
  assert.deepEqual(await values, ["A", "B", "A", "A", "B", "C"]);
  const summary = await run.settled;
  assert.equal(summary.stages[0]!.out, 6, "each item counts on its own");
  assertConserved(summary);
});

test("the leader's error is every follower's error; a later item runs again", async () => {
  let calls = 0;
  let fail!: (error: Error) => void;
  const run = from(["k", "k", "k"])
    .map(
      () => {
        calls++;
        if (calls === 1) return new Promise((_, reject) => (fail = reject));
        return Promise.resolve("again");
      },
      { concurrency: 2, dedupe: (key) => key, onError: "collect", ordered: true },
    )
    .run();
  const values = run.collect();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(calls, 1);
  fail(new Error("leader threw"));
  const results = await values;
  assert.deepEqual(
    results.map((r) => (r.ok ? r.value : (r.error as Error).message)),
    ["leader threw", "leader threw", "again"],
  );
  assert.equal(calls, 2);
});
