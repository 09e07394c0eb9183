import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { from, isStageError } from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import { assertConserved } from "../helpers/conservation.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

describe("weight", () => {
  test("the weight in flight never passes the width, and items start in input order", async () => {
    const sizes = Array.from({ length: 200 }, (_, i) => [1, 5, 2, 9, 1, 3][i % 6]!);
    let weightInside = 0;
    let most = 0;
    const starts: number[] = [];
    const out = await from(sizes.map((size, id) => ({ id, size })))
      .map(
        async (file, ctx) => {
          starts.push(ctx.index);
          weightInside += file.size;
          most = Math.max(most, weightInside);
          await sleep(file.id % 3);
          weightInside -= file.size;
          return file.id;
        },
        { concurrency: 10, weight: (file) => file.size },
      )
      .run()
      .collect();
    assert.equal(out.length, 200);
    assert.ok(most <= 10, `most weight inside: ${most}`);
    assert.ok(most >= 9, "the capacity is used");
    assert.deepEqual(
      starts,
      starts.slice().sort((a, b) => a - b),
      "FIFO: no item starts before an earlier one",
    );
  });

  test("a heavy item is not starved by light ones behind it", async () => {
    const items = [1, 1, 1, 8, ...Array.from({ length: 50 }, () => 1)];
    const order: number[] = [];
    await from(items.map((w, i) => ({ w, i })))
      .forEach(
        async (item) => {
          order.push(item.i);
          await sleep(1);
        },
        { concurrency: 8, weight: (item) => item.w },
      )
      .run();
    assert.equal(order.indexOf(3), 3, "the heavy item starts fourth, before every later light one");
  });

  test("an item heavier than the capacity fails with an error naming it, its weight and the capacity", async () => {
    const run = from([1, 2, 30, 4])
      .map(async (x: number) => x, { concurrency: 10, weight: (x) => x, name: "upload" })
      .run();
    await assert.rejects(run.collect(), (error: unknown) => {
      assert.ok(isStageError(error));
      assert.equal(error.index, 2);
      assert.equal(error.item, 30);
      assert.equal(
        (error.cause as Error).message,
        'Item 2 of stage "upload" weighs 30, more than the stage\'s whole capacity of 10: it could never start',
      );
      return true;
    });
    assertConserved(await run.settled);
  });

  test("a weight that is not a finite number >= 0, or that throws, fails that item only under skip", async () => {
    const weights = [1, Number.NaN, -1, 2, Number.POSITIVE_INFINITY, "3", 1];
    const dropped: [unknown, string][] = [];
    const run = from(weights.map((w, i) => ({ w, i })))
      .map(async (item) => item.i, {
        concurrency: 4,
        onError: "skip",
        weight: (item) => {
          if (item.i === 6) throw new Error("cannot weigh");
          return item.w as number;
        },
        deadLetter: (item, error) => {
          dropped.push([(item as { i: number }).i, (error as Error).message]);
        },
      })
      .run();
    assert.deepEqual((await run.collect()).sort(), [0, 3]);
    assert.deepEqual(dropped, [
      [
        1,
        'Expected `map.weight(item)` to return a finite number >= 0, got `NaN` (number) for item 1 of stage "map#1"',
      ],
      [
        2,
        'Expected `map.weight(item)` to return a finite number >= 0, got `-1` (number) for item 2 of stage "map#1"',
      ],
      [
        4,
        'Expected `map.weight(item)` to return a finite number >= 0, got `Infinity` (number) for item 4 of stage "map#1"',
      ],
      [
        5,
        'Expected `map.weight(item)` to return a finite number >= 0, got `"3"` (string) for item 5 of stage "map#1"',
      ],
      [6, "cannot weigh"],
    ]);
    assertConserved(await run.settled);
  });

  test("works on flatMap, ordered and not, and on sync functions", async () => {
    for (const ordered of [false, true]) {
      const out = await from([3, 1, 2])
        .flatMap(
          async function* (n: number) {
            await nextTurn();
            for (let i = 0; i < n; i++) yield n;
          },
          { concurrency: 3, weight: (n) => n, ordered },
        )
        .run()
        .collect();
      assert.deepEqual(
        ordered ? out : out.sort(),
        [3, 3, 3, 1, 2, 2].slice().sort((a, b) => (ordered ? 0 : a - b)),
      );
    }
    const sync = await from([1, 2, 3])
      .map((x: number) => x * 2, { weight: () => 1 })
      .run()
      .collect();
    assert.deepEqual(sync, [2, 4, 6]);
  });

  test("bad options: not a function, on a thread stage", () => {
    assertInvalid(
      () => from([1]).map((x) => x, { weight: 3 as never }),
      "Expected `map.weight` to be a function, got `3` (number)",
      "map.weight",
    );
    assert.throws(
      () =>
        from([1]).map(thread(new URL("../threads/fixtures/double.worker.js", import.meta.url)), {
          weight: () => 1,
        }),
      /`map.weight` applies to stages that run on the event loop/,
    );
  });
});

describe("shed", () => {
  /** A fast async source of `n` numbers. */
  async function* fast(n: number) {
    for (let i = 0; i < n; i++) {
      if (i % 16 === 0) await nextTurn();
      yield i;
    }
  }

  for (const strategy of ["newest", "oldest", "random"] as const) {
    test(`"${strategy}": a slow stage drops what its full input cannot hold; every item is accounted for`, async () => {
      const shed: number[] = [];
      const run = from(fast(2_000), { buffer: 16 })
        .map(
          async (x: number) => {
            await sleep(1);
            return x;
          },
          { concurrency: 2, buffer: 4, shed: strategy, onShed: (x) => shed.push(x as number) },
        )
        .run();
      const out = await run.collect();
      const summary = await run.settled;
      const stage = summary.stages[0]!;
      assert.ok(stage.shed > 0, "load was shed");
      assert.equal(stage.shed, shed.length, "onShed heard of each");
      assert.equal(out.length + shed.length, 2_000, "every item came out or was shed");
      assert.deepEqual(
        [...out, ...shed].sort((a, b) => a - b),
        Array.from({ length: 2_000 }, (_, i) => i),
      );
      assert.equal(stage.in, stage.out + stage.shed);
      assertConserved(summary);
      if (strategy === "newest") {
        assert.ok(out.includes(0), "the first items are kept");
      }
      if (strategy === "oldest") {
        assert.ok(out.includes(1_999), "the last item is kept");
      }
    });
  }

  test("between two stages: the upstream stage is never held back", async () => {
    let upstreamDone = 0;
    const run = from(Array.from({ length: 3_000 }, (_, i) => i))
      .map(
        async (x: number) => {
          await nextTurn();
          upstreamDone++;
          return x;
        },
        { concurrency: 16 },
      )
      .forEach(
        async () => {
          await sleep(2);
        },
        { concurrency: 1, shed: "newest" },
      )
      .run();
    const summary = await run;
    assert.equal(upstreamDone, 3_000);
    assert.ok(summary.stages[1]!.shed > 2_000);
    assertConserved(summary);
  });

  test("an array source is read on demand: nothing to shed", async () => {
    const summary = await from([1, 2, 3, 4])
      .forEach(async () => sleep(1), { concurrency: 1, buffer: 1, shed: "oldest" })
      .run();
    assert.equal(summary.stages[0]!.shed, 0);
  });

  test("an onShed that throws fails the run, naming the stage", async () => {
    const run = from(fast(500))
      .map(async (x: number) => sleep(2).then(() => x), {
        concurrency: 1,
        buffer: 2,
        shed: "newest",
        onShed: () => {
          throw new Error("audit down");
        },
        name: "slow",
      })
      .run();
    await assert.rejects(run.collect(), (error: unknown) => {
      assert.equal((error as Error).message, 'Stage "slow": its onShed threw');
      assert.equal(((error as Error).cause as Error).message, "audit down");
      return true;
    });
    assertConserved(await run.settled);
  });

  test("bad options: an unknown strategy, onShed without shed", () => {
    assertInvalid(
      () => from([1]).map((x) => x, { shed: "latest" as never }),
      'Expected `map.shed` to be one of "newest", "oldest", "random", got `"latest"` (string)',
      "map.shed",
    );
    assertInvalid(
      () => from([1]).map((x) => x, { onShed: () => {} }),
      'Option `map.onShed` applies only with `shed` ("newest", "oldest" or "random") or `tenants: { overflow: "shed" }`',
      "map.onShed",
    );
  });
});
