import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { from, type StageContext } from "../../src/index.js";
import { assertConserved } from "../helpers/conservation.js";

async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await nextTurn();
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe("map", () => {
  test("passes ctx with the item's index, the stage name and the worker", async () => {
    const seen: { index: number; stage: string; worker: number }[] = [];
    await from(["a", "b", "c"])
      .map(
        (item, ctx: StageContext) => {
          seen.push({ index: ctx.index, stage: ctx.stage, worker: ctx.worker });
          return item;
        },
        { name: "named", concurrency: 2 },
      )
      .run()
      .drain();
    assert.deepEqual(
      seen.map((s) => s.index),
      [0, 1, 2],
    );
    assert.ok(seen.every((s) => s.stage === "named" && s.worker >= 0 && s.worker < 2));
  });

  test("an ordered stage emits in input order whatever the completion order", async () => {
    const out = await from([30, 10, 20, 0])
      .map(
        async (ms) => {
          for (let i = 0; i < ms; i++) await Promise.resolve();
          return ms;
        },
        { ordered: true, concurrency: 4 },
      )
      .run()
      .collect();
    assert.deepEqual(out, [30, 10, 20, 0]);
  });

  test("an unordered stage emits in completion order: a slow item does not hold back the rest", async () => {
    const slow = gate();
    const run = from([0, 1, 2, 3]).map(
      async (x) => {
        if (x === 0) await slow.wait;
        return x;
      },
      { concurrency: 2 },
    );
    const out: number[] = [];
    const consuming = (async () => {
      for await (const x of run.run()) out.push(x);
    })();
    await turns();
    assert.deepEqual(out, [1, 2, 3]);
    slow.open();
    await consuming;
    assert.deepEqual(out, [1, 2, 3, 0]);
  });

  test("never has more than `concurrency` calls in flight", async () => {
    let inFlight = 0;
    let max = 0;
    const summary = await from(Array.from({ length: 200 }, (_, i) => i))
      .map(
        async (x) => {
          max = Math.max(max, ++inFlight);
          await nextTurn();
          inFlight--;
          return x;
        },
        { concurrency: 7 },
      )
      .run()
      .drain();
    assert.equal(max, 7);
    assert.equal(summary.stages[0]!.maxInFlight, 7);
  });

  test("a slow item under ordered: true blocks dispatch once concurrency + buffer items are held", async () => {
    const slow = gate();
    let started = 0;
    const run = from(Array.from({ length: 100 }, (_, i) => i))
      .map(
        async (x) => {
          started++;
          if (x === 0) await slow.wait;
          return x;
        },
        { ordered: true, concurrency: 2, buffer: 3 },
      )
      .run();
    const consuming = run.collect();
    await turns();
    assert.equal(started, 5, "dispatch ran past the reorder window");
    slow.open();
    const out = await consuming;
    assert.deepEqual(
      out,
      Array.from({ length: 100 }, (_, i) => i),
    );
  });
});

describe("filter", () => {
  test("keeps items whose predicate is truthy, sync or async, and counts the rest", async () => {
    const run = from([1, 2, 3, 4, 5, 6])
      .filter(async (x) => x % 3 === 0)
      .run();
    assert.deepEqual((await run.collect()).sort(), [3, 6]);
    const summary = await run.settled;
    assert.equal(summary.stages[0]!.filtered, 4);
    assertConserved(summary);
  });
});

describe("flatMap", () => {
  test("emits every value of each returned iterable", async () => {
    const out = await from([1, 2, 3])
      .flatMap((x) => Array.from({ length: x }, () => x))
      .run()
      .collect();
    assert.deepEqual(out.sort(), [1, 2, 2, 3, 3, 3]);
  });

  test("accepts async iterables and keeps input order when ordered", async () => {
    const out = await from([3, 1, 2])
      .flatMap(
        async function* (x) {
          for (let i = 0; i < x; i++) {
            await nextTurn();
            yield `${x}.${i}`;
          }
        },
        { ordered: true, concurrency: 3 },
      )
      .run()
      .collect();
    assert.deepEqual(out, ["3.0", "3.1", "3.2", "1.0", "2.0", "2.1"]);
  });

  test("an item that yields nothing counts as filtered; emitted counts values", async () => {
    const run = from([0, 2])
      .flatMap((x) => new Array<number>(x).fill(x))
      .run();
    await run.drain();
    const [stage] = (await run.settled).stages;
    assert.equal(stage!.filtered, 1);
    assert.equal(stage!.out, 1);
    assert.equal(stage!.emitted, 2);
  });

  test("a non-iterable result fails the item with a message that names the stage", async () => {
    await assert.rejects(
      from([1])
        .flatMap(() => 5 as unknown as number[], { name: "bad" })
        .run()
        .drain(),
      /flatMap function of stage "bad" to return an Iterable or AsyncIterable for item #0, got number/,
    );
  });

  test("a large unordered expansion is streamed within the stage's buffer", async () => {
    let produced = 0;
    const run = from([1]).flatMap(
      function* () {
        for (let i = 0; i < 10_000; i++) {
          produced++;
          yield i;
        }
      },
      { buffer: 8 },
    );
    const iterator = run.run();
    await iterator.next();
    await turns();
    assert.ok(produced <= 8 + 2, `produced ${produced} values ahead of a stalled consumer`);
    await iterator.return();
  });
});

describe("tap", () => {
  test("passes items through unchanged after the side effect", async () => {
    const seen: number[] = [];
    const out = await from([1, 2])
      .tap((x) => {
        seen.push(x);
        return "ignored";
      })
      .run()
      .collect();
    assert.deepEqual(out.sort(), [1, 2]);
    assert.deepEqual(seen.sort(), [1, 2]);
  });
});

describe("forEach", () => {
  test("consumes items and emits nothing", async () => {
    let sum = 0;
    const run = from([1, 2, 3]).forEach(
      (x) => {
        sum += x;
      },
      { concurrency: 2 },
    );
    assert.deepEqual(await run.run().collect(), []);
    assert.equal(sum, 6);
  });
});
