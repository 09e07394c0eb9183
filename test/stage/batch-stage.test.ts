import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { channel, from } from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";

async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await nextTurn();
}

test("emits full batches in input order and the partial rest at the end", async () => {
  const run = from([1, 2, 3, 4, 5, 6, 7]).batch({ size: 3 }).run();
  assert.deepEqual(await run.collect(), [[1, 2, 3], [4, 5, 6], [7]]);
  const summary = await run.settled;
  assert.equal(summary.stages[0]!.emitted, 3);
  assert.equal(summary.stages[0]!.out, 7);
  assertConserved(summary);
});

test("an empty input emits no batch", async () => {
  assert.deepEqual(await from([]).batch({ size: 3 }).run().collect(), []);
});

test("batches flow into the next stage as arrays", async () => {
  const sums = await from([1, 2, 3, 4])
    .batch({ size: 2 })
    .map((batch) => batch.reduce((a, b) => a + b, 0))
    .run()
    .collect();
  assert.deepEqual(sums.sort(), [3, 7]);
});

describe("maxWait", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());
  defineMaxWaitCases();
});

function defineMaxWaitCases(): void {
  test("a partial batch goes out maxWait after its first item, not before", async () => {
    const input = channel<number>({ capacity: 10 });
    const run = from(input).batch({ size: 3, maxWait: "100ms" }).run();
    const received: number[][] = [];
    const consuming = (async () => {
      for await (const batch of run) received.push(batch);
    })();
    await input.send(1);
    await turns();
    mock.timers.tick(60);
    await input.send(2);
    await turns();
    mock.timers.tick(39);
    await turns();
    assert.deepEqual(received, [], "emitted before maxWait");
    mock.timers.tick(1);
    await turns();
    assert.deepEqual(received, [[1, 2]]);
    // The next batch's clock starts at its own first item.
    await input.send(3);
    await turns();
    mock.timers.tick(99);
    await turns();
    assert.deepEqual(received, [[1, 2]]);
    input.close();
    await consuming;
    assert.deepEqual(received, [[1, 2], [3]]);
  });

  test("a full batch goes out at once and cancels its timer", async () => {
    const input = channel<number>({ capacity: 10 });
    const run = from(input).batch({ size: 2, maxWait: 50 }).run();
    const received: number[][] = [];
    const consuming = (async () => {
      for await (const batch of run) received.push(batch);
    })();
    await input.sendMany([1, 2, 3]);
    await turns();
    assert.deepEqual(received, [[1, 2]]);
    mock.timers.tick(50);
    await turns();
    assert.deepEqual(received, [[1, 2], [3]]);
    input.close();
    await consuming;
  });
}
