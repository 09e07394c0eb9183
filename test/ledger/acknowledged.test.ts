import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  acknowledged,
  type Delivery,
  from,
  type Pipeline,
  ShedItemError,
  StageError,
} from "../../src/index.js";
import { thread } from "../../src/threads/index.js";
import { assertInvalid } from "../helpers/assert-invalid.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Settlement {
  acks: number;
  nacks: unknown[];
  /** What had happened (by the test's own log) when it was settled. */
  at?: number;
}

/** A fake broker: one delivery per value, every ack and nack recorded. */
function broker<T>(values: readonly T[], { async = false } = {}) {
  const settled = new Map<number, Settlement>();
  let clock = 0;
  const deliveries = (): Delivery<T>[] =>
    values.map((value, id) => {
      const record: Settlement = { acks: 0, nacks: [] };
      settled.set(id, record);
      return {
        value,
        ack() {
          record.acks++;
          record.at = clock;
        },
        nack(error: unknown) {
          record.nacks.push(error);
          record.at = clock;
        },
      };
    });
  const source = acknowledged<T>(
    async
      ? async function* () {
          for (const delivery of deliveries()) {
            await Promise.resolve();
            yield delivery;
          }
        }
      : () => deliveries(),
  );
  return {
    source,
    settled,
    /** Advances the test's own clock: settlements record when they happened. */
    tick: () => ++clock,
    acked: () =>
      [...settled].filter(([, s]) => s.acks === 1 && s.nacks.length === 0).map(([id]) => id),
    nacked: () =>
      [...settled].filter(([, s]) => s.nacks.length === 1 && s.acks === 0).map(([id]) => id),
    unsettled: () =>
      [...settled].filter(([, s]) => s.acks + s.nacks.length === 0).map(([id]) => id),
    settledTwice: () =>
      [...settled].filter(([, s]) => s.acks + s.nacks.length > 1).map(([id]) => id),
  };
}

describe("acknowledged()", () => {
  test("acks each delivery once its item left the last stage: emitted, filtered or consumed", async () => {
    const b = broker(range(100), { async: true });
    const seen: number[] = [];
    const summary = await from(b.source)
      .map(async (x: number) => x * 2, { concurrency: 8 })
      .filter((x: number) => x % 3 !== 0)
      .forEach((x: number) => {
        seen.push(x);
      })
      .run();
    assert.equal(summary.outcome, "completed");
    assert.equal(seen.length, 66);
    assert.deepEqual(b.acked(), range(100));
    assert.deepEqual(b.settledTwice(), []);
  });

  test("the consumer of an iterated run gets values, and each delivery is acked as they are taken", async () => {
    const b = broker(["a", "b", "c"]);
    const run = from(b.source)
      .map((s: string) => s.toUpperCase())
      .run();
    const out: string[] = [];
    for await (const value of run) {
      out.push(value);
      // Taken chunk by chunk: by the time a value is read, its delivery was acked.
      assert.equal(b.settled.get(out.length - 1)!.acks, 1);
    }
    assert.deepEqual(out, ["A", "B", "C"]);
    assert.deepEqual(b.acked(), [0, 1, 2]);
  });

  test("a flatMap's delivery is acked only once all its outputs have left", async () => {
    const b = broker([1, 2, 3]);
    const log: string[] = [];
    await from(b.source)
      .flatMap((n: number) => range(n).map((i) => `${n}.${i}`))
      .forEach(
        async (s: string) => {
          await sleep(2);
          log.push(s);
          b.tick();
        },
        { concurrency: 1 },
      )
      .run();
    assert.deepEqual(b.acked(), [0, 1, 2]);
    // Delivery 2 (value 3) has three outputs: acked after the third was consumed (6 in all).
    assert.equal(b.settled.get(2)!.at, 6);
    assert.equal(b.settled.get(1)!.at, 3);
    assert.equal(log.length, 6);
  });

  test("a flatMap that yields nothing acks its delivery, like a filter", async () => {
    const b = broker([0, 2]);
    const out = await from(b.source)
      .flatMap(function* (n: number) {
        for (let i = 0; i < n; i++) yield i;
      })
      .run()
      .collect();
    assert.deepEqual(out, [0, 1]);
    assert.deepEqual(b.acked(), [0, 1]);
  });

  test("a batch's deliveries are acked when the batch has left; the stage after sees plain arrays", async () => {
    const b = broker(range(10));
    const batches: number[][] = [];
    await from(b.source)
      .batch({ size: 4 })
      .forEach((batch: number[]) => {
        batches.push(batch);
        b.tick();
      })
      .run();
    assert.deepEqual(batches, [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    assert.deepEqual(b.acked(), range(10));
    assert.deepEqual(
      range(10).map((id) => b.settled.get(id)!.at),
      [1, 1, 1, 1, 2, 2, 2, 2, 3, 3],
    );
  });

  test("a failure skipped without a dead letter nacks the delivery with its error; dead-lettered acks it", async () => {
    const b = broker(range(6));
    const letters: unknown[] = [];
    await from(b.source)
      .map(
        (x: number) => {
          if (x === 1) throw new RangeError("one");
          return x;
        },
        { onError: "skip" },
      )
      .map(
        (x: number) => {
          if (x === 4) throw new TypeError("four");
          return x;
        },
        {
          onError: "skip",
          deadLetter: (item) => {
            letters.push(item);
          },
        },
      )
      .run()
      .drain();
    assert.deepEqual(letters, [4]);
    assert.deepEqual(b.nacked(), [1]);
    assert.ok(b.settled.get(1)!.nacks[0] instanceof RangeError);
    assert.deepEqual(b.acked(), [0, 2, 3, 4, 5]);
  });

  test('onError: "collect" passes { ok, value } and { ok, error, item } of the values on, acked when they leave', async () => {
    const b = broker([1, 2]);
    const out = await from(b.source)
      .map(
        (x: number) => {
          if (x === 2) throw new Error("two");
          return x * 10;
        },
        { onError: "collect" },
      )
      .run()
      .collect();
    assert.deepEqual(out[0], { ok: true, value: 10 });
    const failure = out[1] as { ok: false; error: Error; item: number };
    assert.equal(failure.ok, false);
    assert.equal(failure.item, 2);
    assert.equal(failure.error.message, "two");
    assert.deepEqual(b.acked(), [0, 1]);
  });

  test("a failed run acks what had finished and leaves the rest to the broker; a StageError carries the value", async () => {
    const b = broker(range(20));
    const run = from(b.source)
      .map((x: number) => {
        if (x === 10) throw new Error("ten");
        return x;
      })
      .forEach(() => {})
      .run();
    await assert.rejects(run.drain(), (error) => error instanceof StageError && error.item === 10);
    assert.deepEqual(b.nacked(), []);
    assert.ok(b.unsettled().includes(10));
    // Only items that got through the forEach before the failure are acked (here, none: the
    // map's outputs had not reached it).
    assert.ok(b.acked().every((id) => id < 10));
    assert.deepEqual(b.settledTwice(), []);
  });

  test("take, drop, distinct and scan: dropped items are acked, scan's accumulators go on", async () => {
    const b = broker([1, 1, 2, 3, 3, 4, 5, 6]);
    const out = await from(b.source)
      .drop(1)
      .distinct()
      .scan((sum: number, x: number) => sum + x, 0)
      .run()
      .collect();
    assert.deepEqual(out, [1, 3, 6, 10, 15, 21]);
    assert.deepEqual(b.acked(), range(8));
  });

  test("a shed item's delivery is nacked with a ShedItemError", async () => {
    const b = broker(range(200), { async: true });
    const shed: number[] = [];
    await from(b.source)
      .map(
        async (x: number) => {
          await sleep(1);
          return x;
        },
        { concurrency: 1, buffer: 2, shed: "newest", onShed: (x) => shed.push(x as number) },
      )
      .run()
      .drain();
    assert.ok(shed.length > 0, `shed ${shed.length}, nacked ${b.nacked().length}`);
    assert.deepEqual(b.nacked(), shed);
    for (const id of b.nacked()) {
      const nack = b.settled.get(id)!.nacks[0];
      assert.ok(nack instanceof ShedItemError);
      assert.equal(nack.code, "ERR_SLUICE_SHED");
      assert.equal(nack.stage, "map#1");
    }
    assert.equal(b.acked().length + shed.length, 200);
  });

  test("weight, rate-limit and dedupe keys see the value", async () => {
    const b = broker([{ n: 1 }, { n: 2 }]);
    const keys: unknown[] = [];
    await from(b.source)
      .map((row: { n: number }) => row.n, {
        weight: (row) => {
          keys.push(row);
          return 1;
        },
        rateLimit: { rate: 1000, key: (row) => keys.push(row) },
        dedupe: (row) => {
          keys.push(row);
          return row.n;
        },
      })
      .run()
      .drain();
    assert.ok(keys.length >= 6);
    assert.ok(keys.every((key) => typeof key === "object" && "n" in (key as object)));
  });

  test("every delivery is settled once, and nacked exactly when something derived from it failed (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.integer({ min: 2, max: 9 }),
        async (values, fanOut, batchSize, ordered, failEvery) => {
          const b = broker(values.map((value, id) => ({ id, value })));
          const failed = new Set<number>();
          type Row = { id: number; value: number };
          const rows: Pipeline<Row> = from(b.source)
            .map(
              async (row: Row) => {
                if (row.value % 3 === 0) await sleep(0);
                return row;
              },
              { concurrency: 4, ordered },
            )
            .filter((row: Row) => row.value % 5 !== 0)
            .flatMap((row: Row) => range(fanOut).map((k) => ({ id: row.id, value: row.value + k })))
            .map(
              (row: Row) => {
                if (row.value % failEvery === 0) {
                  failed.add(row.id);
                  throw new Error(`fail ${row.id}`);
                }
                return row;
              },
              { onError: "skip", concurrency: 3, ordered },
            );
          await (batchSize > 1 ? rows.batch({ size: batchSize }) : rows).run().drain();
          assert.deepEqual(b.settledTwice(), []);
          assert.deepEqual(b.unsettled(), []);
          assert.deepEqual(new Set(b.nacked()), failed);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("rejects a deliveries argument that is not a function, and a delivery that is not one", async () => {
    assertInvalid(
      () => acknowledged([] as never),
      "Expected `acknowledged(deliveries)` to be a function ({ signal }) => an iterable of { value, ack, nack }, got `[]` (array)",
      "acknowledged(deliveries)",
    );
    const run = from(acknowledged(() => [{ value: 1 }] as never)).run();
    await assert.rejects(run.drain(), (error) => {
      const cause = (error as { cause?: unknown }).cause;
      return (
        cause instanceof TypeError && /\{ value, ack\(\), nack\(error\) \}/.test(cause.message)
      );
    });
  });

  test("an ack that throws fails the run", async () => {
    const broken = new Error("broker gone");
    const source = acknowledged(() => [
      {
        value: 1,
        ack() {
          throw broken;
        },
        nack() {},
      },
    ]);
    await assert.rejects(
      from(source)
        .map((x: number) => x)
        .run()
        .drain(),
      (error) => error === broken,
    );
  });

  test("thread stages take the values and settle the lineages: map, filter, flatMap, failures", async () => {
    const fixture = (name: string) =>
      new URL(`../threads/fixtures/${name}.worker.js`, import.meta.url);
    const b = broker([1, 2, 3, 4, -5, 6]);
    const out = await from(b.source)
      .map(thread(fixture("double"), { threads: 2 }), { onError: "skip" })
      .filter(thread(fixture("even"), { threads: 1 }))
      .flatMap(thread(fixture("expand"), { threads: 1 }), { ordered: true })
      .run()
      .collect();
    // 1..6 doubled (−5 throws on its thread: skipped, nacked), all even, each n → 0…n−1.
    assert.equal(out.length, 2 + 4 + 6 + 8 + 12);
    assert.deepEqual(b.nacked(), [4]);
    assert.equal((b.settled.get(4)!.nacks[0] as Error).name, "RangeError");
    assert.deepEqual(b.acked(), [0, 1, 2, 3, 5]);
    assert.deepEqual(b.settledTwice(), []);
  });
});
